// fo — Weighted Failover (ip_vs_fo.c). All traffic goes to the dest with the highest weight that
// is not OVERLOADed; the comparison is a strict '>' starting from 0, so a weight-0 dest is never
// chosen and among equal highest weights the first in list order (the newest) wins. Lowering the
// weight of the active dest (or it becoming OVERLOADed) fails over to the next highest. No hooks.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import type { Scheduler } from './scheduler.js';

export const fo: Scheduler<null> = {
  name: 'fo',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_fo_schedule()
  schedule(svc: Service, _st: null, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    let best: Dest | null = null;
    let hw = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) === 0 && d.weight > hw) {
        best = d;
        hw = d.weight;
      }
    }
    return best;
  },
};
