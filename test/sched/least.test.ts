// lc, wlc, sed, nq on the same loads: where they agree and where they differ (hand-computed).

import { describe, expect, it } from 'vitest';
import { DEST_F_OVERLOAD } from '../../src/model/constants.js';
import { dest, makeService, pick } from './helpers.js';

type Load = Record<string, [active: number, inact: number]>;

function pickWith(sched: string, weights: Record<string, number>, load: Load): string {
  const svc = makeService(sched, weights);
  for (const [name, [a, i]] of Object.entries(load)) {
    dest(svc, name).activeConns = a;
    dest(svc, name).inactConns = i;
  }
  return pick(svc);
}

describe('least-connection family', () => {
  it('A(w1) 0/0, B(w2) 1/0 (list B A): wlc A, sed B (tie 2*1 = 1*2), nq A (idle), lc A', () => {
    const w = { A: 1, B: 2 };
    const load: Load = { A: [0, 0], B: [1, 0] };
    // wlc: least=B (oh 256); A: 256*1 > 0*2 → A.
    expect(pickWith('wlc', w, load)).toBe('A');
    // sed: least=B (cost 2); A: 2*1 > 1*2? no → B.
    expect(pickWith('sed', w, load)).toBe('B');
    // nq: B active → least; A has no active conns → A at once.
    expect(pickWith('nq', w, load)).toBe('A');
    expect(pickWith('lc', w, load)).toBe('A');
  });

  it('A(w1) 0/100, B(w4) 1/0: lc A (100 < 256), wlc B (256*1 > 100*4 is false), sed B, nq A', () => {
    const w = { A: 1, B: 4 };
    const load: Load = { A: [0, 100], B: [1, 0] };
    expect(pickWith('lc', w, load)).toBe('A');
    expect(pickWith('wlc', w, load)).toBe('B');
    // sed ignores inactive: B cost 2/4, A cost 1/1: 2*1 > 1*4? no → B.
    expect(pickWith('sed', w, load)).toBe('B');
    expect(pickWith('nq', w, load)).toBe('A');
  });

  it('nq without idle dests behaves as sed; the first idle one wins even if a later one is lighter', () => {
    const w = { A: 1, B: 1, C: 5 }; // list C B A
    // all busy: C (2/5) beats B (3/1) and A (2/1) → sed and nq say C
    const busy: Load = { A: [1, 0], B: [2, 0], C: [1, 0] };
    expect(pickWith('sed', w, busy)).toBe('C');
    expect(pickWith('nq', w, busy)).toBe('C');
    // B idle, A idle: the first idle in list order (B)
    expect(pickWith('nq', w, { A: [0, 0], B: [0, 0], C: [3, 0] })).toBe('B');
  });

  it('ties keep list order (newest first) in all four', () => {
    for (const s of ['lc', 'wlc', 'sed', 'nq']) expect(pickWith(s, { A: 1, B: 1, C: 1 }, {})).toBe('C');
  });

  it('OVERLOAD and weight 0 are never chosen; all excluded → null', () => {
    for (const s of ['lc', 'wlc', 'sed', 'nq']) {
      const svc = makeService(s, { A: 0, B: 1, C: 1 });
      dest(svc, 'C').flags |= DEST_F_OVERLOAD;
      dest(svc, 'B').activeConns = 50;
      expect(pick(svc), s).toBe('B');
      dest(svc, 'B').flags |= DEST_F_OVERLOAD;
      expect(pick(svc), s).toBe('-');
    }
  });

  it('wlc: a weight-0 dest after the first candidate can never win even when idle', () => {
    // list B A: B(w1) loaded, A(w0) idle. wlc: 256*0 > 0*1 is false.
    expect(pickWith('wlc', { A: 0, B: 1 }, { B: [1, 0] })).toBe('B');
    expect(pickWith('sed', { A: 0, B: 1 }, { B: [1, 0] })).toBe('B');
  });
});

describe('fo and ovf', () => {
  it('fo: highest weight, first in list order on ties, fails over when OVERLOADed or lowered', () => {
    const svc = makeService('fo', { A: 5, B: 10, C: 10 }); // list C B A
    expect(pick(svc)).toBe('C');
    dest(svc, 'C').flags |= DEST_F_OVERLOAD;
    expect(pick(svc)).toBe('B');
    dest(svc, 'B').weight = 1;
    expect(pick(svc)).toBe('A');
    dest(svc, 'A').weight = 0;
    expect(pick(svc)).toBe('B');
    dest(svc, 'B').weight = 0;
    expect(pick(svc)).toBe('-');
  });

  it('ovf: fills the heaviest dest up to its weight in active conns, then overflows', () => {
    const svc = makeService('ovf', { A: 2, B: 3 }); // list B A
    const b = dest(svc, 'B');
    const a = dest(svc, 'A');
    expect(pick(svc)).toBe('B');
    b.activeConns = 3; // 3 <= 3 still eligible
    expect(pick(svc)).toBe('B');
    b.activeConns = 4; // over budget
    expect(pick(svc)).toBe('A');
    a.activeConns = 3;
    expect(pick(svc)).toBe('-');
    b.activeConns = 0;
    b.inactConns = 1000; // inactive conns do not count (UDP never overflows)
    expect(pick(svc)).toBe('B');
  });

  it('ovf ties: equal weights → first in list order', () => {
    expect(pick(makeService('ovf', { A: 2, B: 2 }))).toBe('B');
  });
});
