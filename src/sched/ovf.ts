// ovf — Weighted Overflow (ip_vs_ovf.c). A dest is eligible while it is not OVERLOADed, has a
// non-zero weight and its activeConns do not exceed its weight (the weight is a connection
// budget). Among the eligible the highest weight wins, the first in list order on ties, so traffic
// fills the heaviest dest up to its weight and then overflows to the next. Only active connections
// count: UDP connections are always inactive and never overflow. No hooks.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import type { Scheduler } from './scheduler.js';

export const ovf: Scheduler<null> = {
  name: 'ovf',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_ovf_schedule()
  schedule(svc: Service, _st: null, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    let h: Dest | null = null;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      const w = d.weight;
      if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.activeConns > w || w === 0) continue;
      if (h === null || w > h.weight) h = d;
    }
    return h;
  },
};
