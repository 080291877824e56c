// wlc — Weighted Least Connection (ip_vs_wlc.c), the default scheduler. The first dest in list
// order that is not OVERLOADed and has weight > 0 is the provisional least; every later dest that
// is not OVERLOADed replaces it when overhead(least) * weight(d) > overhead(d) * weight(least),
// overhead = activeConns * 256 + inactConns. Cross-multiplication avoids division; the strict '>'
// keeps the earlier (newer) dest on ties, and a later dest of weight 0 can never win.
// No hooks: the list is read as it is at each call.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import { destOverhead, type Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { cmpProducts } from './ratio.js';
import type { Scheduler } from './scheduler.js';

/**
 * The wlc choice over svc.dests (also lblc's and lblcr's fallback pick), or null.
 * as ip_vs_wlc_schedule() / ip_vs_lblc's __ip_vs_lblc_schedule().
 */
export function wlcPick(svc: Service): Dest | null {
  const dests = svc.dests;
  const n = dests.length;
  let i = 0;
  let least: Dest | null = null;
  for (; i < n; i++) {
    const d = dests[i];
    if ((d.flags & DEST_F_OVERLOAD) === 0 && d.weight > 0) {
      least = d;
      break;
    }
  }
  if (least === null) return null;
  let loh = destOverhead(least);
  for (i++; i < n; i++) {
    const d = dests[i];
    if ((d.flags & DEST_F_OVERLOAD) !== 0) continue;
    const doh = destOverhead(d);
    if (cmpProducts(loh, d.weight, doh, least.weight) > 0) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

export const wlc: Scheduler<null> = {
  name: 'wlc',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  schedule(svc: Service, _st: null, _pkt: PacketDesc): Dest | null {
    return wlcPick(svc);
  },
};
