// lblc — Locality-Based Least Connection (ip_vs_lblc.c), for cache clusters: a table maps each
// packet DESTINATION address to the dest that served it last. A new connection whose destination
// address has an entry (its last use is refreshed) goes to that dest if it is still AVAILABLE,
// has weight > 0 and is not "overloaded twice" — more active connections than its weight while
// some dest of the service has fewer than half its weight (the OVERLOAD flag itself is NOT
// checked here). Otherwise the dest is chosen by wlc over the whole service, and the entry is
// created or replaced (a replaced entry is freed and a new one inserted). Entries age by the
// engine clock (see locality-table.ts). No dest hooks: deleted dests stay cached but fail the
// AVAILABLE check.

import { DEST_F_AVAILABLE } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { LocalityTable } from './locality-table.js';
import type { Scheduler } from './scheduler.js';
import { wlcPick } from './wlc.js';

/**
 * is_overloaded() of lblc/lblcr: d has more active conns than its weight and some dest of the
 * service has fewer than half of its own.
 */
export function overloadedTwice(d: Dest, svc: Service): boolean {
  if (d.activeConns > d.weight) {
    const dests = svc.dests;
    for (let i = 0; i < dests.length; i++) {
      const m = dests[i];
      if (m.activeConns * 2 < m.weight) return true;
    }
  }
  return false;
}

export const lblc: Scheduler<LocalityTable> = {
  name: 'lblc',
  initService(svc): LocalityTable {
    return new LocalityTable(svc.clock.nowMs);
  },
  doneService(_svc, tbl): void {
    tbl.flush();
  },
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  // as ip_vs_lblc_schedule()
  schedule(svc: Service, tbl: LocalityTable, pkt: PacketDesc): Dest | null {
    const now = svc.clock.nowMs;
    tbl.runTimers(now);
    const daddr = pkt.daddr;
    let e = tbl.get(daddr);
    if (e >= 0) {
      tbl.lastuse[e] = now;
      const cached = tbl.dest[e];
      if (cached !== null && (cached.flags & DEST_F_AVAILABLE) !== 0 && cached.weight > 0 && !overloadedTwice(cached, svc)) return cached;
    }
    const d = wlcPick(svc);
    if (d === null) return null;
    // as ip_vs_lblc_new()
    if (e >= 0) {
      if (tbl.dest[e] === d) return d;
      tbl.remove(e); // the kernel's ip_vs_lblc_del() leaves `entries` as it is
    }
    e = tbl.insert(daddr, now);
    if (e >= 0) tbl.dest[e] = d;
    return d;
  },
};
