// The §7.2 rate estimator: scaled EWMA, rounding, -Z reset.

import { describe, expect, it } from 'vitest';
import { RateEstimator } from '../../src/control/rate.js';
import { zeroStats } from '../../src/model/snapshot.js';

const s = (conns: number, inPkts: number, inBytes: number) => ({ ...zeroStats(), conns, inPkts, inBytes });

describe('RateEstimator', () => {
  it('first sample: avg = rate/4 (one EWMA step from 0)', () => {
    const e = new RateEstimator();
    e.tick(new Map([['s1', s(8, 200, 40_000)]]));
    // conns: delta 8 → rate 8<<9 = 4096, avg = 1024 → cps (1024+511)>>10 = 1
    // inpkts: 200<<9 = 102400 → avg 25600 → (25600+511)>>10 = 25
    // inbytes: 40000<<4 = 640000 → avg 160000 → (160000+15)>>5 = 5000
    expect(e.rates('s1')).toEqual({ cps: 1, inpps: 25, outpps: 0, inbps: 5000, outbps: 0 });
  });

  it('converges to the true per-second rate and decays by 3/4 per idle tick', () => {
    const e = new RateEstimator();
    let t = 0;
    for (; t < 80; t++) e.tick(new Map([['d1', s(100 * t, 1000 * t, 500_000 * t)]]));
    expect(e.rates('d1')).toEqual({ cps: 50, inpps: 500, outpps: 0, inbps: 250_000, outbps: 0 });
    const last = s(100 * (t - 1), 1000 * (t - 1), 500_000 * (t - 1));
    e.tick(new Map([['d1', last]]));
    const r = e.rates('d1');
    expect(r.cps).toBe(37); // scaled avg 51200 → 38400 after one idle tick: (38400 + 511) >> 10 = 37
    expect(r.inbps).toBe(187_500);
  });

  it('-Z: averages to 0 and the next delta counted from the current totals', () => {
    const e = new RateEstimator();
    e.tick(new Map([['s1', s(1000, 1000, 1000)]]));
    e.zero('s1', s(1000, 1000, 1000));
    expect(e.rates('s1')).toEqual({ cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 });
    e.tick(new Map([['s1', s(1000, 1000, 1000)]]));
    expect(e.rates('s1').cps).toBe(0);
  });

  it('objects that disappear are forgotten', () => {
    const e = new RateEstimator();
    e.tick(new Map([['s1', s(8, 0, 0)]]));
    e.tick(new Map());
    expect(e.rates('s1').cps).toBe(0);
  });
});
