// Internet checksums (RFC 1071) and their incremental update (RFC 1624, eqn. 3), on plain numbers
// so nothing allocates. A one's-complement sum is accumulated in a JS number (exact up to 2^53, so
// no folding is needed inside the loop), then folded to 16 bits with the end-around carry.
//
// Incremental update, as the kernel's csum_replace2()/csum_replace4() (RFC 1624 eqn. 3):
//   HC' = ~(~HC + ~m + m')
// where HC is the stored checksum and m → m' the 16-bit words that changed. Because a one's-
// complement sum of non-zero data is never +0, the result equals a full recomputation bit for bit.

/** Add the 16-bit big-endian words of buf[off, off+len) to acc (odd tail padded with zero). */
export function sumWords(buf: Uint8Array, off: number, len: number, acc: number): number {
  let s = acc;
  const end = off + (len & ~1);
  let i = off;
  for (; i < end; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if ((len & 1) !== 0) s += buf[i]! << 8;
  return s;
}

/** Fold an accumulated sum to 16 bits with end-around carries (as csum_fold() before the ~). */
export function fold(acc: number): number {
  let s = acc;
  // Sums of one packet stay below 2^32 (32768 words of 0xffff + a pseudo-header); larger
  // accumulators take the exact slow path.
  while (s > 0xffffffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

/** The Internet checksum of buf[off, off+len) with an initial sum (e.g. a pseudo-header). */
export function checksum(buf: Uint8Array, off: number, len: number, acc: number): number {
  return ~fold(sumWords(buf, off, len, acc)) & 0xffff;
}

/** Sum of the TCP/UDP pseudo-header: saddr, daddr (host-order u32), protocol, L4 length. */
export function pseudoHeaderSum(saddr: number, daddr: number, proto: number, l4len: number): number {
  return (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto + l4len;
}

/** RFC 1624 update of checksum `check` for one 16-bit word changing from → to (csum_replace2()). */
export function csumReplace16(check: number, from: number, to: number): number {
  let s = (~check & 0xffff) + (~from & 0xffff) + (to & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** RFC 1624 update for a 32-bit value (an address) changing from → to (csum_replace4()). */
export function csumReplace32(check: number, from: number, to: number): number {
  let s = (~check & 0xffff) + (~from >>> 16 & 0xffff) + (~from & 0xffff) + (to >>> 16) + (to & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * RFC 1624 update for three 16-bit words changing at once, all arguments 16-bit (small integers,
 * so a call V8 does not inline never boxes a number). The NAT rewrite passes the two halves of the
 * address and the port (inet_proto_csum_replace4() + inet_proto_csum_replace2() in one fold), or
 * the two halves of the address and the TTL/protocol word for the IPv4 header.
 */
export function csumReplace3(check: number, f1: number, t1: number, f2: number, t2: number, f3: number, t3: number): number {
  let s = (~check & 0xffff) + (~f1 & 0xffff) + t1 + (~f2 & 0xffff) + t2 + (~f3 & 0xffff) + t3;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** RFC 1624 update for an address (u32) and a port changing together. Convenience for cold paths/tests. */
export function csumReplaceAddrPort(check: number, fromAddr: number, toAddr: number, fromPort: number, toPort: number): number {
  return csumReplace3(check, fromAddr >>> 16, toAddr >>> 16, fromAddr & 0xffff, toAddr & 0xffff, fromPort, toPort);
}

// Field accessors. A u32 of 2^31 or more is not a small integer in V8: returned from, or passed
// to, a call that is not inlined it is boxed (an allocation). Hot paths therefore move addresses
// as two 16-bit halves (rd16 / wrHalves) or byte by byte; rd32/wr32 are for cold paths.
export function rd16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

export function wr16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

export function rd32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Write a 32-bit value given as its two 16-bit halves (hi = v >>> 16, lo = v & 0xffff). */
export function wrHalves(buf: Uint8Array, off: number, hi: number, lo: number): void {
  buf[off] = hi >>> 8;
  buf[off + 1] = hi & 0xff;
  buf[off + 2] = lo >>> 8;
  buf[off + 3] = lo & 0xff;
}

export function wr32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}
