// IP tunneling ("Tunnel", ipvsadm -i, ipip type), as ip_vs_tunnel_xmit(): the client's IPv4
// packet, TTL decremented, is wrapped in an outer IPv4 header (protocol 4) from the director's
// address to the RIP and sent to the real server's (or gateway's) MAC. The real server decapsulates
// it on a tunl0 device holding the VIP and answers the client directly.
//
// Headroom instead of a copy: the frame sits in a slab slot with free bytes before it. The outer
// header is written in the 20 bytes just before the inner IP header, and the Ethernet header
// (with its 802.1Q tag, if any) moves 20 bytes earlier: d.off -= 20, d.len += 20. The inner packet
// does not move, so d.l3Off/d.l4Off and the parsed fields still describe it.
// CALLER CONTRACT: at least TUN_HLEN (20) bytes of headroom before d.off (else -DROP_NO_HEADROOM).
//
// Addresses may be passed as u32 or as int32 bit patterns (`addr | 0`, never boxed by V8).
//
// Outer header (ip_vs_prepare_tunneled_skb(), spec §5.3): version 4, ihl 5, tos = inner DS field
// with INET_ECN_encapsulate() (CE becomes ECT(0)), total length = inner + 20, DF copied from the
// inner packet (pmtu_disc = 1), no MF/offset, TTL = inner TTL after the decrement, protocol 4.
// MTU: the tunnel MTU is mtu - 20; below 68 the packet is dropped; an inner packet with DF longer
// than mtu - 20 is refused with DROP_FRAG_NEEDED (the caller sends Fragmentation Needed carrying
// tunnelMtu(mtu)). TTL ≤ 1 → DROP_TTL_EXPIRED first, as in __ip_vs_get_out_rt().

import { checksum, fold, wr16, wrHalves } from '../packet/checksum.js';
import {
  DROP_FRAG_NEEDED, DROP_NO_HEADROOM, DROP_TOO_BIG, DROP_TTL_EXPIRED, DROP_TUN_MTU,
} from '../packet/drop.js';
import { writeEthMacs } from '../packet/ethernet.js';
import { ecnEncapsulate, ipDecreaseTtl } from '../packet/ipv4.js';
import type { PacketDesc } from '../packet/packet-desc.js';

export const TUN_HLEN = 20;
// Module-local copies of the IPv4 offsets (ipv4.ts): V8 checks each use of an imported binding for
// the temporal dead zone, a measurable cost per packet (see parse.ts).
const IP_TOS = 1;
const IP_TOT_LEN = 2;
const IP_ID = 4;
const IP_FRAG_OFF = 6;
const IP_TTL = 8;
const IP_CSUM = 10;
const IP_SADDR = 12;
const IP_DADDR = 16;
const IP_DF = 0x4000;
const IP_MAXLEN = 65535;
const IPPROTO_IPIP = 4;

/**
 * The MTU reported in Fragmentation Needed for a tunnel whose route MTU is `mtu`: minus the outer
 * IP header and, for GUE/GRE, their header (`extraHlen`: TUN_GUE_HLEN, TUN_GRE_HLEN, TUN_GRE_CSUM_HLEN).
 */
export function tunnelMtu(mtu: number, extraHlen = 0): number {
  return mtu - TUN_HLEN - extraHlen;
}

// Outer IP ids for packets without DF (the kernel's ip_select_ident()). DIFF: one counter per
// worker instead of the kernel's hashed per-destination counters; DF packets carry id 0.
let nextIpId = 0;

/** Tests set the id sequence so fixtures are deterministic. */
export function setTunnelIpId(id: number): void {
  nextIpId = id & 0xffff;
}

/** GUE: UDP header + 4-byte GUE base header (no options: remote checksum offload never applies to
 * the fully checksummed frames uvs handles). GRE: base header, 4 more bytes with a checksum. */
export const TUN_GUE_HLEN = 8 + 4;
export const TUN_GRE_HLEN = 4;
export const TUN_GRE_CSUM_HLEN = 8;
const IPPROTO_UDP = 17;
const IPPROTO_GRE = 47;

/**
 * The common part of every encapsulation (ip_vs_tunnel_xmit()): checks, inner TTL decrement, the
 * Ethernet header moved 20 + extra bytes into the headroom, the outer IPv4 header written with
 * protocol `proto`. Returns the offset where the `extra` bytes of GUE/GRE header go (just after
 * the outer IP header), or minus a drop code with the frame unchanged.
 */
function encapsulate(
  d: PacketDesc, srcAddr: number, dstAddr: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
  mtu: number, extra: number, proto: number,
): number {
  if (d.ttl <= 1) return -DROP_TTL_EXPIRED;
  const hlen = TUN_HLEN + extra;
  const tmtu = mtu - hlen;
  if (tmtu < 68) return -DROP_TUN_MTU;
  if (d.df && d.ipLen > tmtu) return -DROP_FRAG_NEEDED;
  if (d.ipLen + hlen > IP_MAXLEN) return -DROP_TOO_BIG;
  const ethLen = d.l3Off - d.off;
  const newOff = d.off - hlen;
  if (newOff < 0) return -DROP_NO_HEADROOM;

  const b = d.buf;
  const inner = d.l3Off;
  ipDecreaseTtl(b, inner);
  d.ttl -= 1;
  // Move the Ethernet header into the headroom: new MACs, then the EtherType (and VLAN tag) copied
  // byte by byte (2-6 bytes: far cheaper than copyWithin()'s native call). The inner packet stays put.
  writeEthMacs(b, newOff, srcMac, srcMacOff, dstMac, dstMacOff);
  for (let i = 12; i < ethLen; i++) b[newOff + i] = b[d.off + i]!;

  const o = inner - hlen;
  const tos = ecnEncapsulate(d.tos);
  const totLen = d.ipLen + hlen;
  let id = 0;
  let frag = 0;
  if (d.df) frag = IP_DF;
  else {
    id = nextIpId;
    nextIpId = (nextIpId + 1) & 0xffff;
  }
  const ttlProto = (d.ttl << 8) | proto;
  b[o] = 0x45;
  b[o + IP_TOS] = tos;
  wr16(b, o + IP_TOT_LEN, totLen);
  wr16(b, o + IP_ID, id);
  wr16(b, o + IP_FRAG_OFF, frag);
  wr16(b, o + IP_TTL, ttlProto);
  // Addresses as 16-bit halves: small integers only, so no call boxes a number (checksum.ts).
  const sHi = srcAddr >>> 16;
  const sLo = srcAddr & 0xffff;
  const dHi = dstAddr >>> 16;
  const dLo = dstAddr & 0xffff;
  wrHalves(b, o + IP_SADDR, sHi, sLo);
  wrHalves(b, o + IP_DADDR, dHi, dLo);
  // Header checksum from the values just written (no read-back): ip_send_check() arithmetic.
  const sum = 0x4500 + tos + totLen + id + frag + ttlProto + sHi + sLo + dHi + dLo;
  wr16(b, o + IP_CSUM, ~fold(sum) & 0xffff);

  d.off = newOff;
  // Ethernet padding after the inner packet (short frames) is not carried into the tunnel.
  d.len = ethLen + hlen + d.ipLen;
  return o + TUN_HLEN;
}

/**
 * IP-in-IP (ipip, the default): encapsulate d for the real server `dstAddr` (RIP), from `srcAddr`
 * (the director's address on the route to the RIP). Returns the new frame length or minus a drop
 * code. No allocation.
 */
export function xmitTunnel(
  d: PacketDesc, srcAddr: number, dstAddr: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
  mtu: number,
): number {
  const r = encapsulate(d, srcAddr, dstAddr, srcMac, srcMacOff, dstMac, dstMacOff, mtu, 0, IPPROTO_IPIP);
  return r < 0 ? r : d.len;
}

/**
 * GRE (--tun-type gre, gre_build_header()): base header, protocol 0x0800, no key or sequence; with
 * `csum` (--tun-csum) the C bit and a checksum over the GRE header and the inner packet.
 * Needs TUN_HLEN + 4 (8 with csum) bytes of headroom.
 */
export function xmitTunnelGre(
  d: PacketDesc, srcAddr: number, dstAddr: number, csum: boolean,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
  mtu: number,
): number {
  const extra = csum ? TUN_GRE_CSUM_HLEN : TUN_GRE_HLEN;
  const g = encapsulate(d, srcAddr, dstAddr, srcMac, srcMacOff, dstMac, dstMacOff, mtu, extra, IPPROTO_GRE);
  if (g < 0) return g;
  const b = d.buf;
  wr16(b, g, csum ? 0x8000 : 0);
  wr16(b, g + 2, 0x0800);
  if (csum) {
    wr16(b, g + 4, 0);
    wr16(b, g + 6, 0);
    wr16(b, g + 4, checksum(b, g, extra + d.ipLen, 0));
  }
  return d.len;
}

/**
 * The GUE UDP source port for a flow (udp_flow_src_port()): a hash of the inner addresses, ports
 * and protocol folded into the local port range 32768..60999, so one flow keeps one port.
 * DIFF: the kernel hashes with the flow dissector's random key; uvs's hash is fixed (the exact
 * derivation is unverified in the spec), so ports differ from the kernel's but are stable.
 */
export function tunnelFlowPort(saddr: number, daddr: number, sport: number, dport: number, proto: number): number {
  // Addresses may be u32 or int32: only their bits are used.
  let h = Math.imul(saddr ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ daddr, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((sport << 16) | dport), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ proto, 0xc2b2ae35);
  h ^= h >>> 16;
  h ^= h << 16;
  // ((u64)hash * (max - min)) >> 32, computed exactly in two 16-bit halves.
  const range = 61000 - 32768;
  const hi = h >>> 16;
  const lo = h & 0xffff;
  return Math.floor((hi * range + Math.floor((lo * range) / 0x10000)) / 0x10000) + 32768;
}

/**
 * GUE (--tun-type gue --tun-port P, ipvs_gue_encap()): UDP from tunnelFlowPort() to P, then the
 * GUE base header (version 0, no options, proto_ctype 4). The UDP checksum is 0 unless `csum`
 * (--tun-csum, or --tun-remcsum, which adds no option for complete frames); then it covers the
 * whole datagram (a computed 0 is sent as 0xffff). Needs TUN_HLEN + 12 bytes of headroom.
 */
export function xmitTunnelGue(
  d: PacketDesc, srcAddr: number, dstAddr: number, tunPort: number, csum: boolean,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
  mtu: number,
): number {
  // `| 0`: int32 arguments are small integers in V8, never boxed by a call (checksum.ts).
  const sport = tunnelFlowPort(d.saddr | 0, d.daddr | 0, d.sport, d.dport, d.proto);
  const u = encapsulate(d, srcAddr, dstAddr, srcMac, srcMacOff, dstMac, dstMacOff, mtu, TUN_GUE_HLEN, IPPROTO_UDP);
  if (u < 0) return u;
  const b = d.buf;
  const ulen = TUN_GUE_HLEN + d.ipLen;
  wr16(b, u, sport);
  wr16(b, u + 2, tunPort);
  wr16(b, u + 4, ulen);
  wr16(b, u + 6, 0);
  b[u + 8] = 0;
  b[u + 9] = IPPROTO_IPIP;
  wr16(b, u + 10, 0);
  if (csum) {
    const ph = (srcAddr >>> 16) + (srcAddr & 0xffff) + (dstAddr >>> 16) + (dstAddr & 0xffff) + IPPROTO_UDP + ulen;
    const c = checksum(b, u, ulen, ph);
    wr16(b, u + 6, c === 0 ? 0xffff : c);
  }
  return d.len;
}
