// ICMP for IPv4 (RFC 792): offsets, types/codes, and the parser for the packet quoted inside an
// ICMP error, which IPVS uses to find the connection an error belongs to (ip_vs_in_icmp() /
// ip_vs_out_icmp(), ipvs-spec §5.6).
//
// An error's body is the offending packet's IP header (with options) followed by at least its
// first 8 bytes of payload, enough for TCP/UDP ports. parseIcmpError() checks the outer ICMP
// checksum over the whole message (a wrong one is dropped, as IPVS does), checks the quoted IPv4
// header's shape (not its checksum: routers may quote it after changing it) and fills an
// IcmpEmbedded, the reusable second descriptor for the quoted header. Nothing allocates.

import { checksum, rd16 } from './checksum.js';
import {
  DROP_BAD_ICMP_CSUM, DROP_BAD_ICMP_INNER, DROP_ICMP_FRAGMENT, DROP_TRUNC_ICMP,
} from './drop.js';
import { IP_FRAG_OFF, IP_HLEN, IP_OFFSET, IP_PROTO, IP_SADDR } from './ipv4.js';
import type { PacketDesc } from './packet-desc.js';

export const ICMP_HLEN = 8;

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CSUM = 2;
/** The 4 "rest of header" bytes: echo id/seq, or unused + next-hop MTU for frag-needed. */
export const ICMP_REST = 4;
export const ICMP_MTU = 6;

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;

export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_EXC_TTL = 0;

/** Error types IPVS relates to connections (ip_vs_in_icmp(): DEST_UNREACH, SOURCE_QUENCH, TIME_EXCEEDED). */
export function isIpvsIcmpError(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_TIME_EXCEEDED;
}

/** Any ICMP error type (never answered with another error, RFC 1122 3.2.2). */
export function isIcmpError(type: number): boolean {
  return type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT
    || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB;
}

/** parseIcmpError() result when the ICMP message is not an error IPVS handles: pass it. */
export const ICMP_NOT_ERROR = 1;
export const ICMP_EMBEDDED_OK = 0;

/** The quoted packet of an ICMP error; one per worker, overwritten by parseIcmpError(). */
export class IcmpEmbedded {
  /** Offset (in the frame's buffer) of the quoted IP header and of its L4 header. */
  l3Off: number;
  l4Off: number;
  ihl: number;
  proto: number;
  saddr: number;
  daddr: number;
  /** 0 unless TCP/UDP/SCTP with the ports quoted and not a non-first fragment. */
  sport: number;
  dport: number;
  hasPorts: boolean;
  /** Bytes of the quoted packet present after its IP header. */
  l4Len: number;

  constructor() {
    this.l3Off = 0;
    this.l4Off = 0;
    this.ihl = 0;
    this.proto = 0;
    this.saddr = 0;
    this.daddr = 0;
    this.sport = 0;
    this.dport = 0;
    this.hasPorts = false;
    this.l4Len = 0;
  }
}

/**
 * For a parsed ICMP packet `d` (d.proto 1): ICMP_NOT_ERROR for types IPVS does not relate to
 * connections, ICMP_EMBEDDED_OK with `e` filled, or a drop code.
 */
export function parseIcmpError(e: IcmpEmbedded, d: PacketDesc): number {
  if (!isIpvsIcmpError(d.icmpType)) return ICMP_NOT_ERROR;
  // DIFF: IPVS reassembles fragmented ICMP first (ip_vs_gather_frags()); uvs drops and counts it.
  if (d.isFragment) return DROP_ICMP_FRAGMENT;
  const b = d.buf;
  const icmpLen = d.ipLen - d.ihl;
  if (icmpLen < ICMP_HLEN + IP_HLEN) return DROP_TRUNC_ICMP;
  if (checksum(b, d.l4Off, icmpLen, 0) !== 0) return DROP_BAD_ICMP_CSUM;
  const l3 = d.l4Off + ICMP_HLEN;
  const avail = icmpLen - ICMP_HLEN;
  const vihl = b[l3]!;
  const ihl = (vihl & 0x0f) << 2;
  if ((vihl >>> 4) !== 4 || ihl < IP_HLEN || ihl > avail) return DROP_BAD_ICMP_INNER;
  e.l3Off = l3;
  e.ihl = ihl;
  e.l4Off = l3 + ihl;
  e.l4Len = avail - ihl;
  e.proto = b[l3 + IP_PROTO]!;
  // Inline reads: a u32 ≥ 2^31 returned from a call that is not inlined is boxed (checksum.ts).
  const sa = l3 + IP_SADDR;
  e.saddr = ((b[sa]! << 24) | (b[sa + 1]! << 16) | (b[sa + 2]! << 8) | b[sa + 3]!) >>> 0;
  e.daddr = ((b[sa + 4]! << 24) | (b[sa + 5]! << 16) | (b[sa + 6]! << 8) | b[sa + 7]!) >>> 0;
  const p = e.proto;
  if ((p === 6 || p === 17 || p === 132) && e.l4Len >= 4 && (rd16(b, l3 + IP_FRAG_OFF) & IP_OFFSET) === 0) {
    e.sport = rd16(b, e.l4Off);
    e.dport = rd16(b, e.l4Off + 2);
    e.hasPorts = true;
  } else {
    e.sport = 0;
    e.dport = 0;
    e.hasPorts = false;
  }
  return ICMP_EMBEDDED_OK;
}

/**
 * For an ICMP error about one of uvs's own IP-in-IP packets (e.proto 4, spec §5.6 "errors about
 * the LB's own tunnel packets"): parse the client's original packet quoted inside the quoted
 * tunnel packet into `inner`. Needs the inner IP header whole (routers quoting only 8 bytes after
 * the outer header give too little: DROP_BAD_ICMP_INNER, as IPVS then cannot relate the error).
 * Ports are filled when 4 more bytes are present.
 */
export function parseIcmpTunnelInner(inner: IcmpEmbedded, d: PacketDesc, e: IcmpEmbedded): number {
  if (e.proto !== 4) return DROP_BAD_ICMP_INNER;
  const b = d.buf;
  const l3 = e.l4Off;
  const avail = e.l4Len;
  if (avail < IP_HLEN) return DROP_BAD_ICMP_INNER;
  const vihl = b[l3]!;
  const ihl = (vihl & 0x0f) << 2;
  if ((vihl >>> 4) !== 4 || ihl < IP_HLEN || ihl > avail) return DROP_BAD_ICMP_INNER;
  inner.l3Off = l3;
  inner.ihl = ihl;
  inner.l4Off = l3 + ihl;
  inner.l4Len = avail - ihl;
  inner.proto = b[l3 + IP_PROTO]!;
  const sa = l3 + IP_SADDR;
  inner.saddr = ((b[sa]! << 24) | (b[sa + 1]! << 16) | (b[sa + 2]! << 8) | b[sa + 3]!) >>> 0;
  inner.daddr = ((b[sa + 4]! << 24) | (b[sa + 5]! << 16) | (b[sa + 6]! << 8) | b[sa + 7]!) >>> 0;
  const p = inner.proto;
  if ((p === 6 || p === 17 || p === 132) && inner.l4Len >= 4 && (rd16(b, l3 + IP_FRAG_OFF) & IP_OFFSET) === 0) {
    inner.sport = rd16(b, inner.l4Off);
    inner.dport = rd16(b, inner.l4Off + 2);
    inner.hasPorts = true;
  } else {
    inner.sport = 0;
    inner.dport = 0;
    inner.hasPorts = false;
  }
  return ICMP_EMBEDDED_OK;
}

/** Whether the quoted client packet inside a tunnel error had DF set (§5.6: else nothing is relayed). */
export function embeddedDf(d: PacketDesc, e: IcmpEmbedded): boolean {
  return (rd16(d.buf, e.l3Off + IP_FRAG_OFF) & 0x4000) !== 0;
}
