// lblcr — Locality-Based Least Connection with Replication (ip_vs_lblcr.c): like lblc, but each
// packet destination address maps to a SET of dests (newest member first) with its own
// last-modified time. For an address with an entry (last use refreshed): take the set's weighted
// least-connection member (skipping OVERLOADed, weight-0 and unAVAILABLE members); then, if the
// set has more than one member and has not changed for lblcr_expiration (24 h), drop its weighted
// most-loaded member (weight > 0, no other checks). If the least member exists and is not
// "overloaded twice" (see lblc.ts) it is the answer — even if it was just dropped. Otherwise wlc
// over the whole service picks a dest, which joins the set (replication). Without an entry, wlc
// picks and a new one-member entry is made. Entries age as in lblc (locality-table.ts). No hooks.

import { DEST_F_AVAILABLE, DEST_F_OVERLOAD } from '../model/constants.js';
import { destOverhead, type Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { overloadedTwice } from './lblc.js';
import { LocalityTable } from './locality-table.js';
import { cmpProducts } from './ratio.js';
import type { Scheduler } from './scheduler.js';
import { wlcPick } from './wlc.js';

// as ip_vs_dest_set_min()
function setMin(tbl: LocalityTable, e: number): Dest | null {
  let m = tbl.setHead[e];
  let least: Dest | null = null;
  for (; m >= 0; m = tbl.mNext[m]) {
    const d = tbl.mDest[m]!;
    if ((d.flags & DEST_F_OVERLOAD) !== 0) continue;
    if (d.weight > 0 && (d.flags & DEST_F_AVAILABLE) !== 0) {
      least = d;
      break;
    }
  }
  if (least === null) return null;
  let loh = destOverhead(least);
  for (m = tbl.mNext[m]; m >= 0; m = tbl.mNext[m]) {
    const d = tbl.mDest[m]!;
    if ((d.flags & DEST_F_OVERLOAD) !== 0) continue;
    const doh = destOverhead(d);
    if (cmpProducts(loh, d.weight, doh, least.weight) > 0 && (d.flags & DEST_F_AVAILABLE) !== 0) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

// as ip_vs_dest_set_max()
function setMax(tbl: LocalityTable, e: number): Dest | null {
  let m = tbl.setHead[e];
  let most: Dest | null = null;
  for (; m >= 0; m = tbl.mNext[m]) {
    const d = tbl.mDest[m]!;
    if (d.weight > 0) {
      most = d;
      break;
    }
  }
  if (most === null) return null;
  let moh = destOverhead(most);
  for (m = tbl.mNext[m]; m >= 0; m = tbl.mNext[m]) {
    const d = tbl.mDest[m]!;
    const doh = destOverhead(d);
    if (cmpProducts(moh, d.weight, doh, most.weight) < 0 && d.weight > 0) {
      most = d;
      moh = doh;
    }
  }
  return most;
}

export const lblcr: Scheduler<LocalityTable> = {
  name: 'lblcr',
  initService(svc): LocalityTable {
    return new LocalityTable(svc.clock.nowMs);
  },
  doneService(_svc, tbl): void {
    tbl.flush();
  },
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_lblcr_schedule()
  schedule(svc: Service, tbl: LocalityTable, pkt: PacketDesc): Dest | null {
    const now = svc.clock.nowMs;
    tbl.runTimers(now);
    const daddr = pkt.daddr;
    let e = tbl.get(daddr);
    if (e >= 0) {
      tbl.lastuse[e] = now;
      const least = setMin(tbl, e);
      if (tbl.setSize[e] > 1 && now > tbl.setLastmod[e] + tbl.expirationMs) {
        const m = setMax(tbl, e);
        if (m !== null) tbl.setErase(e, m, now);
      }
      if (least !== null && !overloadedTwice(least, svc)) return least;
      const d = wlcPick(svc);
      if (d === null) return null;
      tbl.setInsert(e, d, true, now);
      return d;
    }
    const d = wlcPick(svc);
    if (d === null) return null;
    e = tbl.insert(daddr, now);
    if (e >= 0) tbl.setInsert(e, d, false, now);
    return d;
  },
};
