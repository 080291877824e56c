// IPv4 header (RFC 791): field offsets, flag bits, readers/writers over a Uint8Array at an offset,
// header checksum and the TTL decrement with incremental checksum (as ip_decrease_ttl()).

import { checksum, csumReplace16, fold, rd16, sumWords, wr16 } from './checksum.js';

export const IP_HLEN = 20;
export const IP_MAXLEN = 65535;

export const IP_VER_IHL = 0;
export const IP_TOS = 1;
export const IP_TOT_LEN = 2;
export const IP_ID = 4;
export const IP_FRAG_OFF = 6;
export const IP_TTL = 8;
export const IP_PROTO = 9;
export const IP_CSUM = 10;
export const IP_SADDR = 12;
export const IP_DADDR = 16;

export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET = 0x1fff;

/** ECN field (low 2 bits of TOS). */
export const INET_ECN_MASK = 3;
export const INET_ECN_ECT_0 = 2;
export const INET_ECN_CE = 3;

export function ipIhl(buf: Uint8Array, l3: number): number {
  return (buf[l3 + IP_VER_IHL]! & 0x0f) << 2;
}

export function ipFragOff(buf: Uint8Array, l3: number): number {
  return rd16(buf, l3 + IP_FRAG_OFF);
}

/** Fragment offset in bytes is (frag & IP_OFFSET) * 8; zero means first (or only) fragment. */
export function isFirstFragment(buf: Uint8Array, l3: number): boolean {
  return (rd16(buf, l3 + IP_FRAG_OFF) & IP_OFFSET) === 0;
}

/** Full header checksum over ihl bytes, the checksum field counted as zero (ip_fast_csum()). */
export function ipHeaderChecksum(buf: Uint8Array, l3: number, ihl: number): number {
  return ~fold(sumWords(buf, l3 + IP_SADDR, ihl - IP_SADDR, sumWords(buf, l3, IP_CSUM, 0))) & 0xffff;
}

/** Recompute and store the header checksum (ip_send_check()). */
export function ipSendCheck(buf: Uint8Array, l3: number, ihl: number): void {
  wr16(buf, l3 + IP_CSUM, 0);
  wr16(buf, l3 + IP_CSUM, checksum(buf, l3, ihl, 0));
}

/** A header whose checksum verifies sums to 0xffff (checksum over it is 0). */
export function ipHeaderValid(buf: Uint8Array, l3: number, ihl: number): boolean {
  return checksum(buf, l3, ihl, 0) === 0;
}

/** TTL - 1 with the checksum updated incrementally, as ip_decrease_ttl(). Caller checks ttl > 1. */
export function ipDecreaseTtl(buf: Uint8Array, l3: number): void {
  const ttl = buf[l3 + IP_TTL]!;
  const word = (ttl << 8) | buf[l3 + IP_PROTO]!;
  buf[l3 + IP_TTL] = ttl - 1;
  wr16(buf, l3 + IP_CSUM, csumReplace16(rd16(buf, l3 + IP_CSUM), word, word - 0x100));
}

/** Outer DS field for an encapsulation, as INET_ECN_encapsulate(inner, inner): CE becomes ECT(0). */
export function ecnEncapsulate(tos: number): number {
  return (tos & INET_ECN_MASK) === INET_ECN_CE ? (tos & ~INET_ECN_MASK & 0xff) | INET_ECN_ECT_0 : tos;
}

/** Limited broadcast, multicast (224/4), class E, 0.0.0.0 or loopback: never answered with ICMP errors. */
export function isMartianSource(addr: number): boolean {
  const a = addr >>> 24;
  return addr === 0 || a === 127 || a >= 224;
}
