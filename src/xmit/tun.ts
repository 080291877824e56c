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

import { fold, wr16, wrHalves } from '../packet/checksum.js';
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

/** The MTU reported in Fragmentation Needed for a tunnel whose route MTU is `mtu`. */
export function tunnelMtu(mtu: number): number {
  return mtu - TUN_HLEN;
}

// Outer IP ids for packets without DF (the kernel's ip_select_ident()). DIFF: one counter per
// worker instead of the kernel's hashed per-destination counters; DF packets carry id 0.
let nextIpId = 0;

/** Tests set the id sequence so fixtures are deterministic. */
export function setTunnelIpId(id: number): void {
  nextIpId = id & 0xffff;
}

/**
 * Encapsulate d for the real server `dstAddr` (RIP), from `srcAddr` (the director's address on the
 * route to the RIP). Returns the new frame length or minus a drop code. No allocation.
 */
export function xmitTunnel(
  d: PacketDesc, srcAddr: number, dstAddr: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
  mtu: number,
): number {
  if (d.ttl <= 1) return -DROP_TTL_EXPIRED;
  const tmtu = mtu - TUN_HLEN;
  if (tmtu < 68) return -DROP_TUN_MTU;
  if (d.df && d.ipLen > tmtu) return -DROP_FRAG_NEEDED;
  if (d.ipLen + TUN_HLEN > IP_MAXLEN) return -DROP_TOO_BIG;
  const ethLen = d.l3Off - d.off;
  const newOff = d.off - TUN_HLEN;
  if (newOff < 0) return -DROP_NO_HEADROOM;

  const b = d.buf;
  const inner = d.l3Off;
  ipDecreaseTtl(b, inner);
  d.ttl -= 1;
  // Move the Ethernet header into the headroom: new MACs, then the EtherType (and VLAN tag) copied
  // byte by byte (2-6 bytes: far cheaper than copyWithin()'s native call). The inner packet stays put.
  writeEthMacs(b, newOff, srcMac, srcMacOff, dstMac, dstMacOff);
  for (let i = 12; i < ethLen; i++) b[newOff + i] = b[d.off + i]!;

  const o = inner - TUN_HLEN;
  const tos = ecnEncapsulate(d.tos);
  const totLen = d.ipLen + TUN_HLEN;
  let id = 0;
  let frag = 0;
  if (d.df) frag = IP_DF;
  else {
    id = nextIpId;
    nextIpId = (nextIpId + 1) & 0xffff;
  }
  const ttlProto = (d.ttl << 8) | IPPROTO_IPIP;
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
  d.len = ethLen + TUN_HLEN + d.ipLen;
  return d.len;
}
