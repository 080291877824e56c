// lc — Least Connection (ip_vs_lc.c). Every dest that is not OVERLOADed and has a non-zero weight
// is a candidate; the one with the smallest overhead (activeConns * 256 + inactConns) wins, and
// the strict '<' keeps the first in list order (the newest) on ties. Weights matter only as
// "zero means never". No hooks.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import { destOverhead, type Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import type { Scheduler } from './scheduler.js';

export const lc: Scheduler<null> = {
  name: 'lc',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_lc_schedule()
  schedule(svc: Service, _st: null, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    let least: Dest | null = null;
    let loh = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight === 0) continue;
      const doh = destOverhead(d);
      if (least === null || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  },
};
