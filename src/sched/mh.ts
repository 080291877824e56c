// mh — Maglev Hashing (ip_vs_mh.c; Eisenbud et al., NSDI 2016, §3.4). The lookup table has a prime
// number of slots N (4093, the kernel's default CONFIG_IP_VS_MH_TAB_INDEX 12). Each dest gets a
// permutation of the slots from two keyed hashes of its address and port: it starts at
// offset = h1 % N and steps by skip = h2 % (N-1) + 1. Then, in rounds, each dest in list order
// claims `turns` next free slots of its permutation, turns being lastWeight / gcd(lastWeights),
// shifted right so the largest fits in TAB_BITS (6) bits (at least 1 for a non-zero lastWeight),
// until all N slots are filled. lastWeight (the last non-zero weight the user set) is used, so a
// dest quiesced to weight 0 keeps its slots, while one added with weight 0 gets none.
// A new connection takes slot h1(sourceAddr + sourcePort-if-mh-port) % N; a dest with weight 0 or
// OVERLOAD there gives null, unless mh-fallback (SVC_F_SCHED1) is set: then offsets
// (ih + k) % N, k = 0..N-1, are hashed in turn and the first available dest wins (an empty slot
// ends the search). The hashes are the 64-bit kernels' hsiphash (SipHash-1-3, low 32 bits) of
// the u32 (offset + port + addr) with fixed keys. Hooks: add, del and upd all rebuild the table;
// with more dests than slots the rebuild is skipped (the old table stays) and binding is refused.

import { DEST_F_OVERLOAD, SVC_F_SCHED_MH_FALLBACK, SVC_F_SCHED_MH_PORT } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import { hsiphash32, hsiphash32i, schedPort } from './hash.js';
import { gcd } from './ratio.js';
import type { Scheduler } from './scheduler.js';

/** The kernel's primes[] for CONFIG_IP_VS_MH_TAB_INDEX 8..17. */
export const MH_PRIMES: readonly number[] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];
/** CONFIG_IP_VS_MH_TAB_INDEX default. */
export const MH_TAB_INDEX = 12;
export const MH_TAB_BITS = MH_TAB_INDEX >> 1;
export const MH_TAB_SIZE = MH_PRIMES[MH_TAB_INDEX - 8];

// generate_hash_secret(): hash1 = {2654435761, 2654435761}, hash2 = {2654446892, 2654446892}
// as 64-bit keys (high halves 0).
const HASH1 = 2654435761;
const HASH2 = 2654446892;

/** ip_vs_mh_hashkey() with hash1: hsiphash of (offset + port + addr) mod 2^32. */
export function mhHash1(addr: number, port: number, offset: number): number {
  return hsiphash32(0, HASH1, 0, HASH1, (offset + port + addr) >>> 0);
}

/** mhHash1(...) % N: a slot index (a small integer, so the hot path never boxes a u32 result). */
export function mhSlot(addr: number, port: number, offset: number): number {
  return (hsiphash32i(0, HASH1, 0, HASH1, (offset + port + addr) | 0) >>> 0) % MH_TAB_SIZE;
}

/** ip_vs_mh_hashkey() with hash2. */
export function mhHash2(addr: number, port: number, offset: number): number {
  return hsiphash32(0, HASH2, 0, HASH2, (offset + port + addr) >>> 0);
}

export class MhState {
  readonly lookup: (Dest | null)[] = new Array<Dest | null>(MH_TAB_SIZE).fill(null);
  gcd = 0;
  rshift = 0;
  /** Scratch bitmap of filled slots for rebuilds (control path). */
  readonly filled = new Uint8Array(MH_TAB_SIZE);
}

function unavailable(d: Dest): boolean {
  return d.weight <= 0 || (d.flags & DEST_F_OVERLOAD) !== 0;
}

// as ip_vs_mh_gcd_weight(): over lastWeight; 0 when none is positive.
function gcdWeight(svc: Service): number {
  let g = 0;
  for (const d of svc.dests) {
    if (d.lastWeight > 0) g = g > 0 ? gcd(d.lastWeight, g) : d.lastWeight;
  }
  return g;
}

/** fls(): position of the highest set bit, 1-based; 0 for 0. */
function fls(x: number): number {
  return 32 - Math.clz32(x);
}

// as ip_vs_mh_shift_weight()
function shiftWeight(svc: Service, g: number): number {
  if (g < 1) return 0;
  let w = 0;
  for (const d of svc.dests) if (d.lastWeight > w) w = d.lastWeight;
  const shift = fls(Math.floor(w / g)) - MH_TAB_BITS;
  return shift >= 0 ? shift : 0;
}

// as ip_vs_mh_reassign() = ip_vs_mh_permutate() + ip_vs_mh_populate()
function reassign(svc: Service, st: MhState): boolean {
  const dests = svc.dests;
  const n = dests.length;
  const N = MH_TAB_SIZE;
  if (n > N) return false; // -EINVAL: the previous table stays
  if (st.gcd < 1) {
    st.lookup.fill(null);
    return true;
  }
  const skip = new Uint32Array(n);
  const perm = new Uint32Array(n);
  const turns = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const d = dests[i];
    perm[i] = mhHash1(d.addr, d.port, 0) % N;
    skip[i] = (mhHash2(d.addr, d.port, 0) % (N - 1)) + 1;
    const lw = d.lastWeight;
    const t = Math.floor(lw / st.gcd) >> st.rshift;
    turns[i] = t !== 0 ? t : lw !== 0 ? 1 : 0;
  }
  const filled = st.filled;
  filled.fill(0);
  let placed = 0;
  // Every round places at least one slot (gcd >= 1 means some dest has turns >= 1): bounded by N rounds.
  for (let round = 0; round < N && placed < N; round++) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < turns[i]; k++) {
        let c = perm[i];
        while (filled[c] !== 0) {
          c += skip[i];
          if (c >= N) c -= N;
        }
        perm[i] = c;
        filled[c] = 1;
        st.lookup[c] = dests[i];
        if (++placed === N) return true;
      }
    }
  }
  return true;
}

// as ip_vs_mh_dest_changed()
function destChanged(svc: Service, st: MhState): void {
  st.gcd = gcdWeight(svc);
  st.rshift = shiftWeight(svc, st.gcd);
  reassign(svc, st);
}

export const mh: Scheduler<MhState> = {
  name: 'mh',
  checkService(svc): string | null {
    return svc.dests.length > MH_TAB_SIZE ? `mh: ${svc.dests.length} destinations exceed the ${MH_TAB_SIZE}-slot table (EINVAL)` : null;
  },
  initService(svc): MhState {
    const st = new MhState();
    destChanged(svc, st);
    return st;
  },
  doneService(_svc, st): void {
    st.lookup.fill(null);
  },
  addDest(svc, st): void {
    destChanged(svc, st);
  },
  delDest(svc, st): void {
    destChanged(svc, st);
  },
  updDest(svc, st): void {
    destChanged(svc, st);
  },
  // as ip_vs_mh_schedule(); the ICMP "inverse" case does not reach schedulers here.
  schedule(svc: Service, st: MhState, pkt: PacketDesc): Dest | null {
    const addr = pkt.saddr;
    const port = (svc.flags & SVC_F_SCHED_MH_PORT) !== 0 ? schedPort(pkt) : 0;
    const ih = mhSlot(addr, port, 0);
    let d = st.lookup[ih];
    if ((svc.flags & SVC_F_SCHED_MH_FALLBACK) === 0) {
      return d !== null && !unavailable(d) ? d : null;
    }
    // as ip_vs_mh_get_fallback()
    if (d === null) return null;
    if (!unavailable(d)) return d;
    for (let off = 0; off < MH_TAB_SIZE; off++) {
      const roff = (off + ih) % MH_TAB_SIZE;
      d = st.lookup[mhSlot(addr, port, roff)];
      if (d === null) return null;
      if (!unavailable(d)) return d;
    }
    return null;
  },
};
