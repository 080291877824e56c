// sh — Source Hashing (ip_vs_sh.c). A table of 256 buckets (SH_TAB_BITS = 8) is filled by walking
// the dest list circularly in list order, each dest taking max(weight, 1) consecutive buckets
// (a weight-0 dest still takes one). A new connection's bucket is
// hash_32((sourcePort + sourceAddr) mod 2^32, 8), the port being the packet's source port only
// with the sh-port flag (SVC_F_SCHED2), else 0. A bucket whose dest has weight 0 or is OVERLOADed
// gives null, unless sh-fallback (SVC_F_SCHED1) is set: then the offsets (ih + k) mod 256,
// k = 0..255, are hashed in turn as (offset + hash) & 255, the first available dest wins and an
// empty bucket ends the search. Hooks: add, del and upd all rebuild the table.

import { DEST_F_OVERLOAD, SVC_F_SCHED_SH_FALLBACK, SVC_F_SCHED_SH_PORT } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { hash32, schedPort } from './hash.js';
import type { Scheduler } from './scheduler.js';

/** CONFIG_IP_VS_SH_TAB_BITS default. */
export const SH_TAB_BITS = 8;
export const SH_TAB_SIZE = 1 << SH_TAB_BITS;
const SH_TAB_MASK = SH_TAB_SIZE - 1;

export class ShState {
  readonly buckets: (Dest | null)[] = new Array<Dest | null>(SH_TAB_SIZE).fill(null);
}

// as ip_vs_sh_reassign()
function reassign(svc: Service, st: ShState): void {
  const dests = svc.dests;
  const n = dests.length;
  let p = 0;
  let count = 0;
  for (let i = 0; i < SH_TAB_SIZE; i++) {
    if (n === 0) {
      st.buckets[i] = null;
      continue;
    }
    if (p >= n) p = 0;
    const d = dests[p];
    st.buckets[i] = d;
    if (++count >= d.weight) {
      p++;
      count = 0;
    }
  }
}

/** ip_vs_sh_hashkey(): (offset + hash_32(port + addr, 8)) & 255. */
export function shHashKey(addr: number, port: number, offset: number): number {
  return (offset + hash32((port + addr) >>> 0, SH_TAB_BITS)) & SH_TAB_MASK;
}

function unavailable(d: Dest): boolean {
  return d.weight <= 0 || (d.flags & DEST_F_OVERLOAD) !== 0;
}

export const sh: Scheduler<ShState> = {
  name: 'sh',
  initService(svc): ShState {
    const st = new ShState();
    reassign(svc, st);
    return st;
  },
  doneService(_svc, st): void {
    st.buckets.fill(null);
  },
  addDest(svc, st): void {
    reassign(svc, st);
  },
  delDest(svc, st): void {
    reassign(svc, st);
  },
  updDest(svc, st): void {
    reassign(svc, st);
  },
  // as ip_vs_sh_schedule(); the ICMP "inverse" case does not reach schedulers here.
  schedule(svc: Service, st: ShState, pkt: PacketDesc): Dest | null {
    const addr = pkt.saddr;
    const port = (svc.flags & SVC_F_SCHED_SH_PORT) !== 0 ? schedPort(pkt) : 0;
    const ih = shHashKey(addr, port, 0);
    let d = st.buckets[ih];
    if ((svc.flags & SVC_F_SCHED_SH_FALLBACK) === 0) {
      return d !== null && !unavailable(d) ? d : null;
    }
    // as ip_vs_sh_get_fallback()
    if (d === null) return null;
    if (!unavailable(d)) return d;
    for (let off = 0; off < SH_TAB_SIZE; off++) {
      const roff = (off + ih) % SH_TAB_SIZE;
      d = st.buckets[shHashKey(addr, port, roff)];
      if (d === null) return null;
      if (!unavailable(d)) return d;
    }
    return null;
  },
};
