// Hash functions of the hashing schedulers, in u32 arithmetic without allocation:
// hash_32() of include/linux/hash.h (sh, dh, lblc, lblcr) and the 64-bit kernels' hsiphash()
// (SipHash-1-3 of a 4-byte message, low 32 bits of the result; mh), the 64-bit lanes kept as
// 32-bit halves in module-level scalars.

import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../model/constants.js';
import type { PacketDesc } from '../packet/packet-desc.js';

/** GOLDEN_RATIO_32 of include/linux/hash.h. */
export const GOLDEN_RATIO_32 = 0x61c88647;

/** hash_32(val, bits): the high `bits` bits of val * GOLDEN_RATIO_32 (mod 2^32). 1 <= bits <= 32. */
export function hash32(val: number, bits: number): number {
  return Math.imul(val, GOLDEN_RATIO_32) >>> (32 - bits);
}

/**
 * Source port as ip_vs_sh_get_port()/ip_vs_mh_get_port(): the first port of TCP, UDP and SCTP,
 * 0 for anything else.
 */
export function schedPort(pkt: PacketDesc): number {
  const p = pkt.proto;
  return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP ? pkt.sport : 0;
}

/**
 * hsiphash(&msg, 4, key) of a 64-bit kernel: SipHash-1-3 over the 4-byte little-endian u32 msg
 * with the 128-bit key (k0, k1) given as u32 halves; returns the low 32 bits of v0^v1^v2^v3.
 * Every 64-bit lane is a pair of int32 locals (| 0 keeps them small integers: no heap numbers).
 */
export function hsiphash32(k0h: number, k0l: number, k1h: number, k1l: number, msg: number): number {
  return hsiphash32i(k0h, k0l, k1h, k1l, msg) >>> 0;
}

/**
 * hsiphash32() as a signed int32 (same bits). Returning an int32 keeps the value a small integer
 * across a call boundary; a u32 above 2^31 returned from a non-inlined call is boxed on the heap.
 */
export function hsiphash32i(k0h: number, k0l: number, k1h: number, k1l: number, msg: number): number {
  let v0h = 0x736f6d65 ^ k0h, v0l = 0x70736575 ^ k0l;
  let v1h = 0x646f7261 ^ k1h, v1l = 0x6e646f6d ^ k1l;
  let v2h = 0x6c796765 ^ k0h, v2l = 0x6e657261 ^ k0l;
  let v3h = 0x74656462 ^ k1h, v3l = 0x79746573 ^ k1l;
  // The only block: b = (len << 56) | msg with len = 4.
  const bh = 0x04000000;
  const bl = msg | 0;
  v3h ^= bh;
  v3l ^= bl;
  let l = 0, h = 0, t = 0;
  // One compression round, then three finalization rounds (SipHash-1-3).
  for (let r = 0; r < 4; r++) {
    if (r === 1) {
      v0h ^= bh;
      v0l ^= bl;
      v2l ^= 0xff;
    }
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    l = (v0l + v1l) | 0; v0h = (v0h + v1h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = l;
    h = (v1h << 13) | (v1l >>> 19); l = (v1l << 13) | (v1h >>> 19);
    v1h = h ^ v0h; v1l = l ^ v0l;
    t = v0h; v0h = v0l; v0l = t;
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    l = (v2l + v3l) | 0; v2h = (v2h + v3h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = l;
    h = (v3h << 16) | (v3l >>> 16); l = (v3l << 16) | (v3h >>> 16);
    v3h = h ^ v2h; v3l = l ^ v2l;
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    l = (v0l + v3l) | 0; v0h = (v0h + v3h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = l;
    h = (v3h << 21) | (v3l >>> 11); l = (v3l << 21) | (v3h >>> 11);
    v3h = h ^ v0h; v3l = l ^ v0l;
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    l = (v2l + v1l) | 0; v2h = (v2h + v1h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = l;
    h = (v1h << 17) | (v1l >>> 15); l = (v1l << 17) | (v1h >>> 15);
    v1h = h ^ v2h; v1l = l ^ v2l;
    t = v2h; v2h = v2l; v2l = t;
  }
  return v0l ^ v1l ^ v2l ^ v3l;
}
