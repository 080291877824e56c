// sed — Shortest Expected Delay (ip_vs_sed.c). wlc's walk with a different cost: the expected
// delay of a dest is (activeConns + 1) / weight, inactive connections ignored. The first dest in
// list order that is not OVERLOADed and has weight > 0 is the provisional least; a later
// non-OVERLOADed dest replaces it when (least.active + 1) * weight(d) > (d.active + 1) *
// weight(least) (cross-multiplied; ties keep the earlier dest, weight 0 never wins). No hooks.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { cmpProducts } from './ratio.js';
import type { Scheduler } from './scheduler.js';

export const sed: Scheduler<null> = {
  name: 'sed',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_sed_schedule()
  schedule(svc: Service, _st: null, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    const n = dests.length;
    let least: Dest | null = null;
    let i = 0;
    for (; i < n; i++) {
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) === 0 && d.weight > 0) {
        least = d;
        break;
      }
    }
    if (least === null) return null;
    let loh = least.activeConns + 1;
    for (i++; i < n; i++) {
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) !== 0) continue;
      const doh = d.activeConns + 1;
      if (cmpProducts(loh, d.weight, doh, least.weight) > 0) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
};
