// wrr sequences from spec §2.2 (snapshot bind via -E and the -A/-a hook sequence) plus hand
// derivations of the pass/threshold walk.

import { describe, expect, it } from 'vitest';
import { DEST_F_OVERLOAD } from '../../src/model/constants.js';
import { changeScheduler, delDest, editDest, paramsOf } from '../../src/sched/dest-list.js';
import { getScheduler } from '../../src/sched/registry.js';
import { dest, makeService, seq } from './helpers.js';

/** Dests added under rr, then `-E -s wrr`: wrr's initService sees the populated list. */
function boundAfter(weights: Record<string, number>) {
  const svc = makeService('rr', weights);
  expect(changeScheduler(svc, getScheduler('wrr')!)).toBeNull();
  return svc;
}

describe('wrr', () => {
  it('bound to a populated service: A=4 B=3 C=2 → A B A C B A C B A repeating (spec)', () => {
    const svc = boundAfter({ A: 4, B: 3, C: 2 });
    expect(seq(svc, 18)).toBe('A B A C B A C B A A B A C B A C B A');
  });

  it('gcd > 1: A=4 B=2 → A B A repeating (di=2, mw=3)', () => {
    const svc = boundAfter({ A: 4, B: 2 });
    expect(seq(svc, 6)).toBe('A B A A B A');
  });

  it('A=5 B=1 → A A A A B A', () => {
    const svc = boundAfter({ A: 5, B: 1 });
    expect(seq(svc, 12)).toBe('A A A A B A A A A A B A');
  });

  it('-A then -a A:4, B:3, C:2: first pass at cw=1 gives C B A, then the steady cycle (spec)', () => {
    const svc = makeService('wrr', { A: 4, B: 3, C: 2 });
    expect(seq(svc, 12)).toBe('C B A A B A C B A C B A');
  });

  it('hand derivation: -a A:2, -a B:2 → cw stays 2 from the first add; list B A; B A B A', () => {
    // add A: di=2, mw=2-1=1, cw 0 → mw = 1. add B: di=2, mw=1, cw=1 not > mw, di>1 → floor(1/2)*2+1 = 1.
    // cw=1: B(2>=1) A; then cw -= 2 → -1 → mw=1: B A again.
    const svc = makeService('wrr', { A: 2, B: 2 });
    expect(seq(svc, 4)).toBe('B A B A');
  });

  it('all weights 0 → null; OVERLOADed everywhere → null after one round', () => {
    const svc = makeService('wrr', { A: 0, B: 0 });
    expect(seq(svc, 2)).toBe('- -');
    const s2 = boundAfter({ A: 3, B: 1 });
    dest(s2, 'A').flags |= DEST_F_OVERLOAD;
    dest(s2, 'B').flags |= DEST_F_OVERLOAD;
    expect(seq(s2, 2)).toBe('- -');
  });

  it('OVERLOAD skips the dest; the others keep their relative order', () => {
    const svc = boundAfter({ A: 4, B: 3, C: 2 }); // list C B A
    dest(svc, 'A').flags |= DEST_F_OVERLOAD;
    // passes cw=4: none; cw=3: B; cw=2: C B; cw=1: C B → B C B C B ...
    expect(seq(svc, 5)).toBe('B C B C B');
  });

  it('weight 0 edit recomputes mw and gcd (updDest); a later del resets to the head', () => {
    const svc = boundAfter({ A: 4, B: 3, C: 2 });
    expect(seq(svc, 2)).toBe('A B');
    editDest(svc, dest(svc, 'A'), { ...paramsOf(dest(svc, 'A')), weight: 0 });
    // di=1, mw=3, cw was 3 (after 'B' at cw=3) → kept; cl=head: cw=3: B; cw=2: C B; cw=1: C B
    expect(seq(svc, 5)).toBe('B C B C B');
    delDest(svc, dest(svc, 'B')); // di=2? weights C=2, A=0 → di=2, mw=1; cw=1 → floor(1/2)*2+1 = 1
    expect(seq(svc, 3)).toBe('C C C');
  });

  it('a gcd change rounds cw onto the new grid: cw = floor(cw/di)*di + 1', () => {
    const svc = boundAfter({ A: 4, B: 3 }); // list B A, di 1, mw 4
    // cw=4: A; cw=3: B A; cw=2: B A → five picks, cw is 2
    expect(seq(svc, 5)).toBe('A B A B A');
    editDest(svc, dest(svc, 'B'), { ...paramsOf(dest(svc, 'B')), weight: 2 });
    // di = gcd(4,2) = 2, mw = 4 - 1 = 3; cw 2 → floor(2/2)*2 + 1 = 3 (unrounded, cw=2 would pick B first)
    // cw=3: A; cw=1: B A; cw=-1 → 3: A; ...
    expect(seq(svc, 6)).toBe('A B A A B A');
  });

  it('all OVERLOADed after a restart: the walk stops at `last`, keeping cl and the low cw', () => {
    const svc = boundAfter({ A: 2, B: 1 }); // list B A, di 1, mw 2
    expect(seq(svc, 2)).toBe('A B'); // cw=2: A; cw=1: B → cl = B, cw = 1
    dest(svc, 'A').flags |= DEST_F_OVERLOAD;
    dest(svc, 'B').flags |= DEST_F_OVERLOAD;
    // after B: A no; cw 0 → 2 (restarted); B A no; cw 1 = di → last pass, stop = B; B is stop → null
    expect(seq(svc, 1)).toBe('-');
    dest(svc, 'A').flags &= ~DEST_F_OVERLOAD;
    dest(svc, 'B').flags &= ~DEST_F_OVERLOAD;
    // resumes after B at cw 1: A; then cw 0 → 2: A; cw 1: B (without the stop: cl = head, cw = 2 → A B A)
    expect(seq(svc, 3)).toBe('A A B');
  });
});
