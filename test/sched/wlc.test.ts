// wlc: weighted least connection with cross-multiplied overheads; ties keep list order.

import { describe, expect, it } from 'vitest';
import { DEST_F_OVERLOAD } from '../../src/model/constants.js';
import { cmpProducts } from '../../src/sched/ratio.js';
import { dest, makeService, pick } from './helpers.js';

describe('wlc', () => {
  it('ties go to the newest dest (list head)', () => {
    const svc = makeService('wlc', { A: 1, B: 1, C: 1 });
    expect(pick(svc)).toBe('C');
  });

  it('compares overhead/weight: active counts 256 inactive', () => {
    const svc = makeService('wlc', { A: 1, B: 2 }); // list B A
    dest(svc, 'B').activeConns = 1; // 256/2 = 128
    dest(svc, 'A').inactConns = 100; // 100/1 = 100 → A
    expect(pick(svc)).toBe('A');
    dest(svc, 'A').inactConns = 128; // 128 == 128 → tie keeps B
    expect(pick(svc)).toBe('B');
    dest(svc, 'A').inactConns = 129;
    expect(pick(svc)).toBe('B');
  });

  it('weight 0 never wins even with zero load; OVERLOAD skipped; null when none', () => {
    const svc = makeService('wlc', { A: 1, B: 0 }); // B A
    dest(svc, 'A').activeConns = 1000;
    expect(pick(svc)).toBe('A');
    dest(svc, 'A').flags |= DEST_F_OVERLOAD;
    expect(pick(svc)).toBe('-');
  });

  it('large products are compared exactly beyond 2^53', () => {
    // 2^36 * (2^32-1) vs (2^36+1) * (2^32-2): exact difference is -2^32 - 2^36 + ... compute by BigInt.
    const cases: Array<[number, number, number, number]> = [
      [2 ** 36, 2 ** 32 - 1, 2 ** 36 + 1, 2 ** 32 - 2],
      [2 ** 36 + 5, 4294967291, 2 ** 36 + 4, 4294967295],
      [123456789012, 4000000000, 123456789012, 4000000000],
      [2 ** 37 - 1, 2 ** 32 - 1, 2 ** 37 - 2, 2 ** 32 - 1],
    ];
    for (const [a, b, c, d] of cases) {
      const exact = BigInt(a) * BigInt(b) - BigInt(c) * BigInt(d);
      expect(Math.sign(cmpProducts(a, b, c, d))).toBe(exact > 0n ? 1 : exact < 0n ? -1 : 0);
    }
  });
});
