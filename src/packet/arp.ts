// ARP for IPv4 over Ethernet (RFC 826): offsets, the in-place reply to a request for an address
// uvs owns (the VIP: the director's kernel never owns it), and builders for requests (neighbour
// resolution) and gratuitous ARP (announcing a VIP after takeover). No allocation.

import { rd16, wr16, wrHalves } from './checksum.js';
import { DROP_ARP_NOT_REQUEST, DROP_NO_ROOM } from './drop.js';
import { copyMac, ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_SRC, ETH_TYPE } from './ethernet.js';
import type { PacketDesc } from './packet-desc.js';

export const ARP_LEN = 28;
export const ARP_FRAME_LEN = ETH_HLEN + ARP_LEN;

export const ARP_HTYPE = 0;
export const ARP_PTYPE = 2;
export const ARP_HLEN = 4;
export const ARP_PLEN = 5;
export const ARP_OP = 6;
export const ARP_SHA = 8;
export const ARP_SPA = 14;
export const ARP_THA = 18;
export const ARP_TPA = 24;

export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

/** Ethernet/IPv4 ARP with the right sizes (what arp_rcv() accepts for us). */
export function arpIsEtherIpv4(buf: Uint8Array, l3: number): boolean {
  return rd16(buf, l3 + ARP_HTYPE) === ARPHRD_ETHER && rd16(buf, l3 + ARP_PTYPE) === ETH_P_IP
    && buf[l3 + ARP_HLEN] === 6 && buf[l3 + ARP_PLEN] === 4;
}

/**
 * Turn the ARP request in `d` (parsed: d.l3Off, d.daddr = target IP) into the reply in place:
 * "target IP is at ourMac". Swaps sender/target, sets op 2, addresses the Ethernet header back to
 * the requester. Returns the frame length or -DROP_ARP_NOT_REQUEST. The caller decides that the
 * target is an address uvs owns.
 */
export function arpReplyInPlace(d: PacketDesc, ourMac: Uint8Array, ourMacOff: number): number {
  const b = d.buf;
  const a = d.l3Off;
  if (rd16(b, a + ARP_OP) !== ARPOP_REQUEST) return -DROP_ARP_NOT_REQUEST;
  // Addresses as 16-bit halves (no u32 crosses a call: checksum.ts on boxing).
  const sHi = rd16(b, a + ARP_SPA);
  const sLo = rd16(b, a + ARP_SPA + 2);
  const tHi = rd16(b, a + ARP_TPA);
  const tLo = rd16(b, a + ARP_TPA + 2);
  wr16(b, a + ARP_OP, ARPOP_REPLY);
  // target := requester (its MAC from the ARP body, as arp_send(ARPOP_REPLY, ..., sha))
  copyMac(b, a + ARP_THA, b, a + ARP_SHA);
  wrHalves(b, a + ARP_TPA, sHi, sLo);
  copyMac(b, a + ARP_SHA, ourMac, ourMacOff);
  wrHalves(b, a + ARP_SPA, tHi, tLo);
  // Ethernet: to the requester's hardware address, from us (VLAN tag, if any, stays).
  copyMac(b, d.off, b, a + ARP_THA);
  copyMac(b, d.off + ETH_SRC, ourMac, ourMacOff);
  return d.len;
}

function writeArpFrame(
  out: Uint8Array, off: number, op: number,
  mac: Uint8Array, macOff: number, spa: number, tpa: number,
): number {
  if (off < 0 || off + ARP_FRAME_LEN > out.length) return -DROP_NO_ROOM;
  for (let i = 0; i < 6; i++) out[off + i] = 0xff;
  copyMac(out, off + ETH_SRC, mac, macOff);
  wr16(out, off + ETH_TYPE, ETH_P_ARP);
  const a = off + ETH_HLEN;
  wr16(out, a + ARP_HTYPE, ARPHRD_ETHER);
  wr16(out, a + ARP_PTYPE, ETH_P_IP);
  out[a + ARP_HLEN] = 6;
  out[a + ARP_PLEN] = 4;
  wr16(out, a + ARP_OP, op);
  copyMac(out, a + ARP_SHA, mac, macOff);
  wrHalves(out, a + ARP_SPA, spa >>> 16, spa & 0xffff);
  for (let i = 0; i < 6; i++) out[a + ARP_THA + i] = 0;
  wrHalves(out, a + ARP_TPA, tpa >>> 16, tpa & 0xffff);
  return ARP_FRAME_LEN;
}

/** Broadcast "who has targetIp, tell srcIp" into out at off; returns 42 or -DROP_NO_ROOM. */
export function buildArpRequest(
  out: Uint8Array, off: number, srcMac: Uint8Array, srcMacOff: number, srcIp: number, targetIp: number,
): number {
  return writeArpFrame(out, off, ARPOP_REQUEST, srcMac, srcMacOff, srcIp, targetIp);
}

/**
 * Gratuitous ARP announcing ip at mac: a broadcast request with sender = target = ip (the form
 * `arping -U` and keepalived send), so every neighbour updates its cache.
 */
export function buildGratuitousArp(out: Uint8Array, off: number, mac: Uint8Array, macOff: number, ip: number): number {
  return writeArpFrame(out, off, ARPOP_REQUEST, mac, macOff, ip, ip);
}

export function arpOp(buf: Uint8Array, l3: number): number {
  return rd16(buf, l3 + ARP_OP);
}
