// ICMP errors: building the ones the director sends itself, and rewriting the ones that relate to
// a NAT connection.
//
// Building (icmp_send()): Destination Unreachable / Port Unreachable when no dest is available
// (§4.7), Fragmentation Needed with the next-hop MTU (§5.3/§5.4), Time Exceeded (TTL ≤ 1, §5).
// The new frame goes into a separate output buffer: Ethernet (same 802.1Q tag as the offending
// frame), IPv4 from the director's address to the offender's source (tos = offender's TOS bits |
// 0xc0 internetwork control, TTL 64, id 0, no DF), ICMP header, then the offending IP header with
// its options and the first 8 bytes after it (RFC 792). Following RFC 1122 3.2.2 / icmp_send(),
// nothing is built about an ICMP error, an unknown ICMP type, a non-first fragment, or a packet
// from 0.0.0.0, loopback, multicast, broadcast or class E sources (returns 0).
// DIFF: Linux quotes up to 576 bytes of the offending packet; uvs quotes header + 8 bytes.
//
// NAT rewrite (ip_vs_nat_icmp(), spec §5.6), after parseIcmpError() filled an IcmpEmbedded:
//   in  (from the client side, about a packet the VIP sent): outer daddr := RIP,
//       quoted saddr := RIP, quoted sport := conn dport
//   out (from a NAT real server, about a client packet):     outer saddr := VIP,
//       quoted daddr := VIP, quoted dport := vport
// then the quoted IP header checksum, the outer IP header checksum and the whole ICMP checksum are
// recomputed from scratch (as the kernel does; the quoted L4 checksum is left alone). Both ways
// the TTL is decremented (ip_vs_icmp_xmit() inbound, forwarding outbound); TTL ≤ 1 drops
// (never answered: it is an error itself). No MTU check for relayed ICMP (ip_vs_iph_icmp()).
// Addresses may be passed as u32 or as int32 bit patterns (`addr | 0`, never boxed by V8).

import { checksum, rd16, wr16, wrHalves } from '../packet/checksum.js';
import { DROP_NO_ROOM, DROP_TTL_EXPIRED } from '../packet/drop.js';
import { writeEthMacs } from '../packet/ethernet.js';
import {
  ICMP_CSUM, ICMP_HLEN, ICMP_REST, isIcmpError, type IcmpEmbedded,
} from '../packet/icmp.js';
import {
  IP_DADDR, IP_FRAG_OFF, IP_HLEN, IP_ID, IP_OFFSET, IP_PROTO, IP_SADDR, IP_TOS, IP_TOT_LEN, IP_TTL,
  ipDecreaseTtl, ipSendCheck,
} from '../packet/ipv4.js';
import type { PacketDesc } from '../packet/packet-desc.js';

/** sysctl net.ipv4.ip_default_ttl */
export const ICMP_ERROR_TTL = 64;
/** IPTOS_PREC_INTERNETCONTROL */
const TOS_INTERNETCONTROL = 0xc0;
/** RT_TOS(): the TOS bits kept from the offender. */
const IPTOS_TOS_MASK = 0x1e;
/** Highest ICMP type icmp_send() knows (NR_ICMP_TYPES). */
const NR_ICMP_TYPES = 18;

/**
 * Build an ICMP error about the IPv4 packet at buf[ipOff, ipOff+ipAvail) into out at outOff.
 * `info` is the u32 after the ICMP checksum (the MTU for Fragmentation Needed, else 0).
 * `vlanTci` is the 802.1Q TCI to tag the frame with, or -1 for none.
 * Returns the frame length, 0 when no error may be sent about this packet, or -DROP_NO_ROOM.
 */
export function writeIcmpError(
  out: Uint8Array, outOff: number,
  buf: Uint8Array, ipOff: number, ipAvail: number,
  type: number, code: number, info: number, srcAddr: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number, vlanTci: number,
): number {
  if (ipAvail < IP_HLEN) return 0;
  const ihl = (buf[ipOff]! & 0x0f) << 2;
  if (ihl < IP_HLEN || ihl > ipAvail) return 0;
  if ((rd16(buf, ipOff + IP_FRAG_OFF) & IP_OFFSET) !== 0) return 0;
  // The offender's source, byte by byte (no u32 crosses a call: checksum.ts on boxing).
  const sa = ipOff + IP_SADDR;
  const s0 = buf[sa]!;
  if ((s0 | buf[sa + 1]! | buf[sa + 2]! | buf[sa + 3]!) === 0 || s0 === 127 || s0 >= 224) return 0;
  const tot = rd16(buf, ipOff + IP_TOT_LEN);
  const have = tot < ipAvail ? tot : ipAvail;
  let quote = ihl + 8;
  if (quote > have) quote = have;
  if (buf[ipOff + IP_PROTO] === 1 && quote > ihl) {
    // Never an error about an ICMP error (or an unknown type).
    const t = buf[ipOff + ihl]!;
    if (t > NR_ICMP_TYPES || isIcmpError(t)) return 0;
  }
  const ethLen = vlanTci >= 0 ? 18 : 14;
  const frameLen = ethLen + IP_HLEN + ICMP_HLEN + quote;
  if (outOff < 0 || outOff + frameLen > out.length) return -DROP_NO_ROOM;

  writeEthMacs(out, outOff, srcMac, srcMacOff, dstMac, dstMacOff);
  if (vlanTci >= 0) {
    wr16(out, outOff + 12, 0x8100);
    wr16(out, outOff + 14, vlanTci & 0xffff);
  }
  wr16(out, outOff + ethLen - 2, 0x0800);

  const o = outOff + ethLen;
  out[o] = 0x45;
  out[o + IP_TOS] = (buf[ipOff + IP_TOS]! & IPTOS_TOS_MASK) | TOS_INTERNETCONTROL;
  wr16(out, o + IP_TOT_LEN, IP_HLEN + ICMP_HLEN + quote);
  wr16(out, o + IP_ID, 0);
  wr16(out, o + IP_FRAG_OFF, 0);
  out[o + IP_TTL] = ICMP_ERROR_TTL;
  out[o + IP_PROTO] = 1;
  wrHalves(out, o + IP_SADDR, srcAddr >>> 16, srcAddr & 0xffff);
  for (let i = 0; i < 4; i++) out[o + IP_DADDR + i] = buf[sa + i]!;
  ipSendCheck(out, o, IP_HLEN);

  const ic = o + IP_HLEN;
  out[ic] = type;
  out[ic + 1] = code;
  wr16(out, ic + ICMP_CSUM, 0);
  wrHalves(out, ic + ICMP_REST, info >>> 16, info & 0xffff);
  const q = ic + ICMP_HLEN;
  for (let i = 0; i < quote; i++) out[q + i] = buf[ipOff + i]!;
  wr16(out, ic + ICMP_CSUM, checksum(out, ic, ICMP_HLEN + quote, 0));
  return frameLen;
}

/**
 * Build an ICMP error about the parsed frame `d` (to its sender, tagged like it). dstMac is
 * normally the offender's source MAC (d.buf at d.off + 6). Same results as writeIcmpError().
 */
export function buildIcmpError(
  out: Uint8Array, outOff: number, d: PacketDesc,
  type: number, code: number, info: number, srcAddr: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
): number {
  const vlanTci = d.l3Off - d.off === 18 ? rd16(d.buf, d.off + 14) : -1;
  const avail = d.off + d.len - d.l3Off;
  return writeIcmpError(out, outOff, d.buf, d.l3Off, avail, type, code, info, srcAddr,
    srcMac, srcMacOff, dstMac, dstMacOff, vlanTci);
}

function finishIcmp(d: PacketDesc, e: IcmpEmbedded): void {
  const b = d.buf;
  ipSendCheck(b, e.l3Off, e.ihl);
  ipSendCheck(b, d.l3Off, d.ihl);
  wr16(b, d.l4Off + ICMP_CSUM, 0);
  wr16(b, d.l4Off + ICMP_CSUM, checksum(b, d.l4Off, d.ipLen - d.ihl, 0));
}

/**
 * Inbound ICMP error for a NAT conn: outer daddr := rip, quoted saddr := rip, quoted sport := rport
 * (the conn's dport). Returns the frame length or -DROP_TTL_EXPIRED.
 */
export function icmpNatIn(
  d: PacketDesc, e: IcmpEmbedded, rip: number, rport: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
): number {
  if (d.ttl <= 1) return -DROP_TTL_EXPIRED;
  const b = d.buf;
  ipDecreaseTtl(b, d.l3Off);
  d.ttl -= 1;
  const hi = rip >>> 16;
  const lo = rip & 0xffff;
  wrHalves(b, d.l3Off + IP_DADDR, hi, lo);
  d.daddr = rip >>> 0;
  wrHalves(b, e.l3Off + IP_SADDR, hi, lo);
  e.saddr = rip >>> 0;
  if (e.hasPorts) {
    wr16(b, e.l4Off, rport);
    e.sport = rport;
  }
  finishIcmp(d, e);
  writeEthMacs(b, d.off, srcMac, srcMacOff, dstMac, dstMacOff);
  return d.len;
}

/**
 * Outbound ICMP error from a NAT real server: outer saddr := vip, quoted daddr := vip, quoted
 * dport := vport. Returns the frame length or -DROP_TTL_EXPIRED.
 */
export function icmpNatOut(
  d: PacketDesc, e: IcmpEmbedded, vip: number, vport: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
): number {
  if (d.ttl <= 1) return -DROP_TTL_EXPIRED;
  const b = d.buf;
  ipDecreaseTtl(b, d.l3Off);
  d.ttl -= 1;
  const hi = vip >>> 16;
  const lo = vip & 0xffff;
  wrHalves(b, d.l3Off + IP_SADDR, hi, lo);
  d.saddr = vip >>> 0;
  wrHalves(b, e.l3Off + IP_DADDR, hi, lo);
  e.daddr = vip >>> 0;
  if (e.hasPorts) {
    wr16(b, e.l4Off + 2, vport);
    e.dport = vport;
  }
  finishIcmp(d, e);
  writeEthMacs(b, d.off, srcMac, srcMacOff, dstMac, dstMacOff);
  return d.len;
}


/**
 * The MTU to report to a client when a Fragmentation Needed came back about one of our tunnel
 * packets (ip_vs_in_icmp() for IPIP, spec §5.6): the dest's cached route MTU if known (> 0), else
 * the reported one, reduced by the 20-byte tunnel header when it is above 88.
 */
export function tunnelErrorMtu(reportedMtu: number, cachedMtu: number): number {
  const mtu = cachedMtu > 0 ? cachedMtu : reportedMtu;
  return mtu > 88 ? mtu - 20 : mtu;
}

/**
 * The global ICMP error budget, as icmp_global_allow(): a token bucket refilled at `perSec`
 * (sysctl icmp_msgs_per_sec, 1000) up to `burst` (icmp_msgs_burst, 50), refilled only once at
 * least 20 ms have passed. The caller passes the injected clock's milliseconds, so tests and
 * replays are deterministic. Call allow() before building an error; false means do not send.
 * DIFF: the kernel spends a random 0..2 credits per message (to hide the state); uvs spends
 * exactly 1. The kernel's per-destination limit (icmp_ratelimit, inet_peer) is not reproduced.
 */
export class IcmpRateLimit {
  credit: number;
  stampMs: number;
  readonly perSec: number;
  readonly burst: number;

  constructor(nowMs: number, perSec = 1000, burst = 50) {
    this.perSec = perSec;
    this.burst = burst;
    this.credit = burst;
    this.stampMs = nowMs;
  }

  allow(nowMs: number): boolean {
    let delta = nowMs - this.stampMs;
    if (delta > 1000) delta = 1000;
    if (delta >= 20) {
      const incr = Math.floor((this.perSec * delta) / 1000);
      if (incr > 0) this.stampMs = nowMs;
      this.credit = Math.min(this.credit + incr, this.burst);
    }
    if (this.credit <= 0) return false;
    this.credit -= 1;
    return true;
  }
}
