// wrr — Weighted Round Robin (ip_vs_wrr.c). State {cl, cw, mw, di}: cl is a position in the list
// (the head or the dest last chosen), di the gcd of the positive weights (1 if none), mw the
// largest weight minus (di - 1), cw the current weight threshold. Each new connection continues
// the walk after cl and takes the first dest that is not OVERLOADed and whose weight is >= cw; on
// reaching the end of the list cw drops by di and the walk restarts at the head, and when cw falls
// to 0 or below it wraps to mw. Passes therefore run at cw = mw, mw-di, ..., down to the last one
// that accepts any positive weight. If every dest is OVERLOADed (or all weights are 0) the walk
// gives up after one full round and answers null.
// Hooks: add, del and upd all reset cl to the head and recompute di and mw; cw is kept unless it
// is above the new mw or 0 (then cw = mw), and with di > 1 it is rounded to the new grid
// (cw = floor(cw/di)*di + 1). So the order after `-A` then several `-a` differs from a snapshot
// bind: reproduce the hooks, not the end state.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { gcd } from './ratio.js';
import type { Scheduler } from './scheduler.js';

export class WrrState {
  /** Index in svc.dests of the current position; -1 = list head. */
  cl = -1;
  cw = 0;
  mw = 0;
  di = 1;
}

// as ip_vs_wrr_gcd_weight(): gcd of the positive weights, 1 if none.
function gcdWeight(svc: Service): number {
  let g = 0;
  for (const d of svc.dests) {
    if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
  }
  return g || 1;
}

// as ip_vs_wrr_max_weight()
function maxWeight(svc: Service): number {
  let w = 0;
  for (const d of svc.dests) if (d.weight > w) w = d.weight;
  return w;
}

// as ip_vs_wrr_dest_changed()
function destChanged(svc: Service, st: WrrState): void {
  st.cl = -1;
  st.di = gcdWeight(svc);
  st.mw = maxWeight(svc) - (st.di - 1);
  if (st.cw > st.mw || st.cw === 0) st.cw = st.mw;
  else if (st.di > 1) st.cw = Math.floor(st.cw / st.di) * st.di + 1;
}

export const wrr: Scheduler<WrrState> = {
  name: 'wrr',
  initService(svc): WrrState {
    const st = new WrrState();
    st.di = gcdWeight(svc);
    st.mw = maxWeight(svc) - (st.di - 1);
    st.cw = st.mw;
    return st;
  },
  doneService(): void {},
  addDest(svc, st): void {
    destChanged(svc, st);
  },
  delDest(svc, st): void {
    destChanged(svc, st);
  },
  updDest(svc, st): void {
    destChanged(svc, st);
  },
  // as ip_vs_wrr_schedule()
  schedule(svc: Service, st: WrrState, _pkt: PacketDesc): Dest | null {
    const dests = svc.dests;
    const n = dests.length;
    if (st.mw === 0) return null; // no available dests
    if (st.cl >= n) st.cl = -1; // defensive: hooks keep cl valid
    const last = st.cl;
    let pos = st.cl;
    let stop = -2; // none
    let lastPass = false;
    let restarted = false;
    // Bounded: at most two rounds of passes (restarted, then lastPass ends it); the extra bound
    // guards against a list edited without hooks.
    for (let guard = 0; guard <= 2 * (st.mw + 1) * (n + 1) + 4; guard++) {
      for (let i = pos + 1; i < n; i++) {
        const d = dests[i];
        if ((d.flags & DEST_F_OVERLOAD) === 0 && d.weight >= st.cw) {
          st.cl = i;
          return d;
        }
        if (i === stop) {
          st.cl = i;
          return null; // all destinations are overloaded
        }
      }
      pos = -1;
      st.cw -= st.di;
      if (st.cw <= 0) {
        st.cw = st.mw;
        if (lastPass || last === -1) {
          st.cl = -1;
          return null; // all destinations are overloaded
        }
        restarted = true;
      }
      lastPass = st.cw <= st.di;
      if (lastPass && restarted && last !== -1) stop = last;
    }
    st.cl = -1;
    return null;
  },
};
