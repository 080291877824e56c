// nq — Never Queue (ip_vs_nq.c). Walk the list in order skipping OVERLOADed and weight-0 dests;
// the first dest with no active connection is taken at once (an idle server never makes a client
// queue). Otherwise the choice is sed's: the smallest (activeConns + 1) / weight, cross-multiplied,
// the earlier dest winning ties. No hooks.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { cmpProducts } from './ratio.js';
import type { Scheduler } from './scheduler.js';

export const nq: Scheduler<null> = {
  name: 'nq',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_nq_schedule()
  schedule(svc: Service, _st: null, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    let least: Dest | null = null;
    let loh = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight === 0) continue;
      const doh = d.activeConns + 1;
      if (d.activeConns === 0) return d; // idle: no queueing
      if (least === null || cmpProducts(loh, d.weight, doh, least.weight) > 0) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
};
