// twos — Power of Two Choices, weighted (ip_vs_twos.c). Sum the weights of the eligible dests (not
// OVERLOADed, weight > 0) into total; draw two integers r1, r2 uniformly in [0, total] (total + 1
// values, so the first eligible dest has probability (w+1)/(total+1)); walk the list in order over
// eligible dests subtracting each weight from both, and the first dest where r1 <= 0 is choice1,
// where r2 <= 0 choice2. The answer is choice2 when it is less loaded relative to its weight
// (w2 * overhead1 > w1 * overhead2), else choice1. Randomness comes from svc.randomU32 (seeded
// in tests and replays). No hooks.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import { destOverhead, type Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { randomBelow } from './random.js';
import { cmpProducts } from './ratio.js';
import type { Scheduler } from './scheduler.js';

export const twos: Scheduler<null> = {
  name: 'twos',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_twos_schedule()
  schedule(svc: Service, _st: null, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    const n = dests.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) === 0 && d.weight > 0) total += d.weight;
    }
    if (total === 0) return null;
    // as get_random_u32_below(total + 1), twice: r1 first, then r2.
    let r1 = randomBelow(svc.randomU32, total + 1);
    let r2 = randomBelow(svc.randomU32, total + 1);
    let c1: Dest | null = null;
    let c2: Dest | null = null;
    for (let i = 0; i < n; i++) {
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight <= 0) continue;
      r1 -= d.weight;
      r2 -= d.weight;
      if (r1 <= 0 && c1 === null) c1 = d;
      if (r2 <= 0 && c2 === null) c2 = d;
      if (c1 !== null && c2 !== null) break;
    }
    if (c1 === null || c2 === null) return c1 ?? c2; // unreachable: r <= total
    // DIFF: the kernel multiplies in 32-bit int (may overflow with huge counts); this is exact.
    if (cmpProducts(destOverhead(c1), c2.weight, destOverhead(c2), c1.weight) > 0) return c2;
    return c1;
  },
};
