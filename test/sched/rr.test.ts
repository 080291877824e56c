// rr sequences: list order, wrap after deletion (cursor moves to the predecessor), OVERLOAD and
// weight 0 skipped, null when nothing is eligible.

import { describe, expect, it } from 'vitest';
import { DEST_F_OVERLOAD } from '../../src/model/constants.js';
import { delDest, editDest, paramsOf } from '../../src/sched/dest-list.js';
import { add, dest, makeService, seq } from './helpers.js';

describe('rr', () => {
  it('walks the list newest first: add A, B, C → C B A C B A (spec §2.1)', () => {
    const svc = makeService('rr', { A: 1, B: 1, C: 1 });
    expect(seq(svc, 7)).toBe('C B A C B A C');
  });

  it('ignores weights other than 0', () => {
    const svc = makeService('rr', { A: 5, B: 1 });
    expect(seq(svc, 4)).toBe('B A B A');
  });

  it('deleting the cursor dest resumes with the dest that followed it', () => {
    const svc = makeService('rr', { A: 1, B: 1, C: 1, D: 1 }); // list D C B A
    expect(seq(svc, 2)).toBe('D C'); // cursor at C
    delDest(svc, dest(svc, 'C')); // cursor → D (predecessor); list D B A
    expect(seq(svc, 4)).toBe('B A D B');
  });

  it('deleting the head-most cursor dest goes back to the list head', () => {
    const svc = makeService('rr', { A: 1, B: 1, C: 1 }); // C B A
    expect(seq(svc, 1)).toBe('C');
    delDest(svc, dest(svc, 'C')); // cursor → head
    expect(seq(svc, 3)).toBe('B A B');
  });

  it('deleting another dest keeps the cursor on its dest', () => {
    const svc = makeService('rr', { A: 1, B: 1, C: 1, D: 1 }); // D C B A
    expect(seq(svc, 2)).toBe('D C');
    delDest(svc, dest(svc, 'D')); // C B A, cursor still C
    expect(seq(svc, 3)).toBe('B A C');
  });

  it('a dest added mid-cycle sits at the head and is reached on wrap', () => {
    const svc = makeService('rr', { A: 1, B: 1 }); // B A
    expect(seq(svc, 1)).toBe('B');
    add(svc, 'C'); // C B A, cursor on B
    expect(seq(svc, 4)).toBe('A C B A');
  });

  it('skips OVERLOAD and weight 0, returns null when none is eligible', () => {
    const svc = makeService('rr', { A: 1, B: 1, C: 1 }); // C B A
    dest(svc, 'B').flags |= DEST_F_OVERLOAD;
    editDest(svc, dest(svc, 'A'), { ...paramsOf(dest(svc, 'A')), weight: 0 });
    expect(seq(svc, 3)).toBe('C C C');
    dest(svc, 'C').flags |= DEST_F_OVERLOAD;
    expect(seq(svc, 2)).toBe('- -');
    dest(svc, 'B').flags &= ~DEST_F_OVERLOAD;
    expect(seq(svc, 2)).toBe('B B');
  });

  it('empty service → null', () => {
    expect(seq(makeService('rr'), 1)).toBe('-');
  });
});
