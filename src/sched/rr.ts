// rr — Round Robin (ip_vs_rr.c). The state is a cursor: the list head at first, then the dest last
// chosen. Each new connection scans the list circularly starting just after the cursor, visiting
// the cursor's own dest last, and takes the first dest that is not OVERLOADed and has weight > 0;
// when the cursor is the head one pass is made. The scan never visits a dest twice, so with no
// eligible dest the answer is null. Weights other than 0 do not matter.
// Hooks: only delDest matters in the kernel — removing the cursor's dest moves the cursor to its
// predecessor, so the next scan resumes with the dest that followed it. Here the list is an array,
// so addDest also shifts the cursor's index by one (the dest itself does not change).

import { DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import type { Scheduler } from './scheduler.js';

export class RrState {
  /** The dest the cursor points at, or null for the list head. */
  cur: Dest | null = null;
  /** Its index in svc.dests (-1 for the head). */
  idx = -1;
}

function resync(svc: Service, st: RrState): void {
  st.idx = st.cur === null ? -1 : svc.dests.indexOf(st.cur);
  if (st.idx < 0) st.cur = null;
}

export const rr: Scheduler<RrState> = {
  name: 'rr',
  initService(): RrState {
    return new RrState();
  },
  doneService(): void {},
  addDest(svc, st): void {
    resync(svc, st);
  },
  delDest(svc, st, d): void {
    // as ip_vs_rr_del_dest(): the cursor moves to the removed dest's predecessor.
    if (st.cur === d) {
      const prev = st.idx - 1;
      st.cur = prev >= 0 && prev < svc.dests.length ? svc.dests[prev] : null;
    }
    resync(svc, st);
  },
  updDest(): void {},
  schedule(svc: Service, st: RrState, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    const n = dests.length;
    let start = st.idx;
    if (start >= n || (start >= 0 && dests[start] !== st.cur)) {
      resync(svc, st);
      start = st.idx;
    }
    // as ip_vs_rr_schedule(): after the cursor to the end, then (if the cursor is not the head)
    // from the start up to and including the cursor. From the head (-1) that is one plain pass.
    for (let k = 1; k <= n; k++) {
      let i = start + k;
      if (i >= n) i -= n;
      const d = dests[i];
      if ((d.flags & DEST_F_OVERLOAD) === 0 && d.weight > 0) {
        st.cur = d;
        st.idx = i;
        return d;
      }
    }
    return null;
  },
};
