// The IPVS rate estimator (ip_vs_est.c), ticked every 2 seconds by the daemon.
//
// Algorithm: for each counted object keep the last sample and a scaled moving average of each
// of the five counters. Per tick, delta = current - last; conns/inpkts/outpkts rate = delta << 9
// (delta * 2^10 / 2 s: per second, scaled by 1024), inbytes/outbytes rate = delta << 4 (scaled by
// 32); avg += (rate - avg) >> 2 (EWMA with weight 1/4, arithmetic shift). Reported values:
// cps = (avg + 0x1FF) >> 10 (likewise pps), bps = (avg + 0xF) >> 5. A new estimator starts with
// last = 0 and avg = 0; `-Z` sets last to the current values and the averages to 0.

import type { StatsCounters } from '../model/snapshot.js';

export interface Rates {
  cps: number;
  inpps: number;
  outpps: number;
  inbps: number;
  outbps: number;
}

export const RATE_TICK_MS = 2000;

class Estimator {
  last = [0, 0, 0, 0, 0];
  avg = [0, 0, 0, 0, 0];
}

function values(s: StatsCounters): number[] {
  return [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes];
}

/** Arithmetic right shift for values beyond 32 bits. */
function sar(v: number, bits: number): number {
  return Math.floor(v / 2 ** bits);
}

export class RateEstimator {
  private readonly est = new Map<string, Estimator>();

  /** One 2-second sample of every object: `counters` maps keys ('s12', 'd40') to current totals. */
  tick(counters: Map<string, StatsCounters>): void {
    for (const key of [...this.est.keys()]) if (!counters.has(key)) this.est.delete(key);
    for (const [key, stats] of counters) {
      let e = this.est.get(key);
      if (!e) {
        e = new Estimator();
        this.est.set(key, e);
      }
      const cur = values(stats);
      for (let k = 0; k < 5; k++) {
        const delta = cur[k]! - e.last[k]!;
        e.last[k] = cur[k]!;
        const rate = k < 3 ? delta * 512 : delta * 16;
        e.avg[k] = e.avg[k]! + sar(rate - e.avg[k]!, 2);
      }
    }
  }

  /** As ip_vs_zero_estimator(): last := current, averages := 0. */
  zero(key: string, current: StatsCounters): void {
    const e = this.est.get(key) ?? new Estimator();
    e.last = values(current);
    e.avg = [0, 0, 0, 0, 0];
    this.est.set(key, e);
  }

  /** As ip_vs_read_estimator(). */
  rates(key: string): Rates {
    const e = this.est.get(key);
    if (!e) return { cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 };
    const r = (k: number): number => Math.max(0, k < 3 ? sar(e.avg[k]! + 0x1ff, 10) : sar(e.avg[k]! + 0xf, 5));
    return { cps: r(0), inpps: r(1), outpps: r(2), inbps: r(3), outbps: r(4) };
  }
}
