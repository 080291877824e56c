// Ethernet II header (with at most one 802.1Q tag): field offsets, EtherTypes and MAC copies.
// MACs are 6 bytes inside some Uint8Array at an offset; nothing here allocates.

import { rd16, wr16 } from './checksum.js';

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
/** Ethernet header with one 802.1Q tag. */
export const VLAN_ETH_HLEN = 18;

export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
/** With a tag: TCI at 14, inner EtherType at 16. */
export const VLAN_TCI = 14;
export const VLAN_TYPE = 16;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_IPV6 = 0x86dd;

export function ethType(buf: Uint8Array, off: number): number {
  return rd16(buf, off + ETH_TYPE);
}

export function setEthType(buf: Uint8Array, off: number, type: number): void {
  wr16(buf, off + ETH_TYPE, type);
}

export function copyMac(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number): void {
  dst[dstOff] = src[srcOff]!;
  dst[dstOff + 1] = src[srcOff + 1]!;
  dst[dstOff + 2] = src[srcOff + 2]!;
  dst[dstOff + 3] = src[srcOff + 3]!;
  dst[dstOff + 4] = src[srcOff + 4]!;
  dst[dstOff + 5] = src[srcOff + 5]!;
}

/** Write the source and destination MACs of the Ethernet header at `off`. */
export function writeEthMacs(
  buf: Uint8Array, off: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
): void {
  copyMac(buf, off + ETH_DST, dstMac, dstMacOff);
  copyMac(buf, off + ETH_SRC, srcMac, srcMacOff);
}

export function isBroadcastMac(buf: Uint8Array, off: number): boolean {
  return (buf[off]! & buf[off + 1]! & buf[off + 2]! & buf[off + 3]! & buf[off + 4]! & buf[off + 5]!) === 0xff;
}

/** Group bit (multicast or broadcast). */
export function isMulticastMac(buf: Uint8Array, off: number): boolean {
  return (buf[off]! & 1) !== 0;
}
