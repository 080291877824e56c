// dh — Destination Hashing (ip_vs_dh.c). A table of 256 buckets (DH_TAB_BITS = 8) is filled by
// walking the dest list circularly in list order, one bucket per dest (weights ignored). A new
// connection goes to bucket hash_32(destinationAddr, 8); the answer is null when that dest is not
// AVAILABLE, has weight 0 or is OVERLOADed (no fallback, no port option). Hooks: add and del
// rebuild the table; a weight edit does not.

import { DEST_F_AVAILABLE, DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { hash32 } from './hash.js';
import type { Scheduler } from './scheduler.js';

/** CONFIG_IP_VS_DH_TAB_BITS default. */
export const DH_TAB_BITS = 8;
export const DH_TAB_SIZE = 1 << DH_TAB_BITS;

export class DhState {
  readonly buckets: (Dest | null)[] = new Array<Dest | null>(DH_TAB_SIZE).fill(null);
}

// as ip_vs_dh_reassign()
function reassign(svc: Service, st: DhState): void {
  const dests = svc.dests;
  const n = dests.length;
  for (let i = 0; i < DH_TAB_SIZE; i++) st.buckets[i] = n === 0 ? null : dests[i % n];
}

export const dh: Scheduler<DhState> = {
  name: 'dh',
  initService(svc): DhState {
    const st = new DhState();
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
  updDest(): void {},
  // as ip_vs_dh_schedule()
  schedule(svc: Service, st: DhState, pkt: PacketDesc): Dest | null {
    const d = st.buckets[hash32(pkt.daddr, DH_TAB_BITS)];
    if (d === null || (d.flags & DEST_F_AVAILABLE) === 0 || d.weight <= 0 || (d.flags & DEST_F_OVERLOAD) !== 0) return null;
    return d;
  },
};
