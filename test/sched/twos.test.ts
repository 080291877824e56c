// twos with a scripted random source: draws map to [0, total] as get_random_u32_below(total + 1).

import { describe, expect, it } from 'vitest';
import { DEST_F_OVERLOAD } from '../../src/model/constants.js';
import { randomBelow } from '../../src/sched/random.js';
import { dest, makeService, pick } from './helpers.js';

function scripted(values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error('random source exhausted');
    return values[i++] >>> 0;
  };
}

describe('randomBelow (get_random_u32_below)', () => {
  it('takes the high bits of ceil * r', () => {
    expect(randomBelow(scripted([0xc0000000]), 4)).toBe(3);
    expect(randomBelow(scripted([0x7fffffff]), 4)).toBe(1);
    expect(randomBelow(scripted([0xffffffff]), 10)).toBe(9);
  });

  it('rejects draws whose low product falls below 2^32 mod ceil, then redraws', () => {
    // ceil 3: 2^32 mod 3 = 1; r = 0 → low 0 < 1 → rejected; r = 0x80000000 → floor(3/2) = 1
    const next = scripted([0, 0x80000000]);
    expect(randomBelow(next, 3)).toBe(1);
    expect(() => next()).toThrow(); // both draws consumed
  });
});

describe('twos', () => {
  it('B(w2) A(w1), total 3: r1 = 0 → B, r2 = 3 → A; less loaded relative to weight wins', () => {
    // r1: B: 0-2 = -2 <= 0 → choice1 = B. r2: B: 3-2 = 1; A: 1-1 = 0 → choice2 = A.
    const svc = makeService('twos', { A: 1, B: 2 }, { random: scripted([0x00000000, 0xc0000000, 0x00000000, 0xc0000000]) });
    // both idle: w2*o1 = 1*0 > w1*o2 = 2*0 is false → choice1 B
    expect(pick(svc)).toBe('B');
    // B busy: 1*256 > 2*0 → choice2 A
    dest(svc, 'B').activeConns = 1;
    expect(pick(svc)).toBe('A');
  });

  it('r = 0 always lands on the first eligible dest (probability (w+1)/(total+1))', () => {
    // C overloaded: total = 1 + 2 = 3, ceil 4 (no rejection); r1 = r2 = 0 → B: 0-2 <= 0.
    const svc = makeService('twos', { A: 1, B: 2, C: 1 }, { random: scripted([0, 0]) });
    dest(svc, 'C').flags |= DEST_F_OVERLOAD; // first eligible is now B
    expect(pick(svc)).toBe('B');
  });

  it('weight 0 and OVERLOAD excluded; none eligible → null without drawing', () => {
    const svc = makeService('twos', { A: 0, B: 1 }, { random: scripted([0xffffffff, 0xffffffff]) });
    // total 1, ceil 2: r = 1 both; B: 1-1 = 0 → B.
    expect(pick(svc)).toBe('B');
    dest(svc, 'B').flags |= DEST_F_OVERLOAD;
    expect(pick(svc)).toBe('-');
  });

  it('distribution over many seeded draws follows (w+1)/(total+1) for the first, w/(total+1) after', () => {
    let s = 0x12345678;
    const lcg = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
    const svc = makeService('twos', { A: 3, B: 1 }, { random: lcg }); // list B A, total 4
    // Keep both idle so choice1 always wins: P(B) = 2/5, P(A) = 3/5.
    let b = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) if (pick(svc) === 'B') b++;
    expect(b / n).toBeGreaterThan(0.38);
    expect(b / n).toBeLessThan(0.42);
  });
});

describe('DIFF: twos compares exactly', () => {
  it('large overheads: the kernel multiplies in 32-bit int (overflow); here the less loaded wins', () => {
    // list B A, weights 65535 each, total 131070, ceil 131071 (not a power of two: pick draws
    // that are not rejected: low 32 bits of ceil * r must be >= 2^32 mod ceil = 4).
    // r1 = 0x10000 → floor(131071 * 65536 / 2^32) = 1 → B (1 - 65535 <= 0)
    // r2 = 0xffff0000 → floor(131071 * (2^32 - 65536) / 2^32) = 131069 → B leaves 65534, A reaches -1 → A
    const svc = makeService('twos', { A: 65535, B: 65535 }, { random: scripted([0x10000, 0xffff0000]) });
    dest(svc, 'B').activeConns = 40000; // overhead 10 240 000: 65535 * that > 2^31
    dest(svc, 'A').activeConns = 30000; // overhead 7 680 000
    // exact: w2*o1 = 65535*10240000 > w1*o2 = 65535*7680000 → choice2 = A
    expect(pick(svc)).toBe('A');
  });
});
