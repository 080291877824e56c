// Hash vectors from spec §2.14 (SipHash-1-3 as 64-bit kernels' hsiphash, hash_32), plus a
// BigInt reference SipHash checked against the SipHash-2-4 paper vector.

import { describe, expect, it } from 'vitest';
import { hash32 } from '../../src/sched/hash.js';
import { mhHash1, mhHash2 } from '../../src/sched/mh.js';
import { shHashKey } from '../../src/sched/sh.js';

const M = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;

/** Straightforward BigInt SipHash-c-d over bytes, for cross-checking the 32-bit-halves version. */
function sipRef(k0: bigint, k1: bigint, msg: Uint8Array, c: number, d: number): bigint {
  let v0 = 0x736f6d6570736575n ^ k0, v1 = 0x646f72616e646f6dn ^ k1, v2 = 0x6c7967656e657261n ^ k0, v3 = 0x7465646279746573n ^ k1;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const full = msg.length - (msg.length % 8);
  const word = (o: number, n: number) => { let w = 0n; for (let i = n - 1; i >= 0; i--) w = (w << 8n) | BigInt(msg[o + i]); return w; };
  for (let o = 0; o < full; o += 8) { const m = word(o, 8); v3 ^= m; for (let i = 0; i < c; i++) round(); v0 ^= m; }
  const b = (BigInt(msg.length & 255) << 56n) | word(full, msg.length - full);
  v3 ^= b; for (let i = 0; i < c; i++) round(); v0 ^= b;
  v2 ^= 0xffn; for (let i = 0; i < d; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

function le32(x: number): Uint8Array {
  return new Uint8Array([x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24]);
}

describe('hashes', () => {
  it('reference SipHash-2-4 matches the paper vector (key 00..0f, msg 00..0e)', () => {
    const key = Array.from({ length: 16 }, (_, i) => i);
    let k0 = 0n, k1 = 0n;
    for (let i = 7; i >= 0; i--) { k0 = (k0 << 8n) | BigInt(key[i]); k1 = (k1 << 8n) | BigInt(key[8 + i]); }
    const msg = Uint8Array.from({ length: 15 }, (_, i) => i);
    expect(sipRef(k0, k1, msg, 2, 4)).toBe(0xa129ca6149be45e5n);
  });

  it('mh hsiphash vectors of spec §2.14', () => {
    expect(mhHash1(0x0a000001, 0, 0)).toBe(50859236);
    expect(mhHash2(0x0a000001, 0, 0)).toBe(1224331457);
    expect(mhHash1(0xc0a8010a, 0, 0)).toBe(3588839862);
    expect(mhHash2(0xc0a8010a, 0, 0)).toBe(3723439405);
  });

  it('32-bit-halves SipHash-1-3 equals the BigInt reference on many inputs', () => {
    let x = 12345;
    for (let i = 0; i < 300; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const ref = Number(sipRef(2654435761n, 2654435761n, le32(x), 1, 3) & 0xffffffffn);
      expect(mhHash1(x, 0, 0)).toBe(ref);
    }
  });

  it('hash_32 vectors of spec §2.14', () => {
    expect(hash32(0x0a000001, 8)).toBe(39);
    expect(hash32(0x0a000001, 10)).toBe(159);
    expect(hash32(0xc0a8010a, 8)).toBe(248);
    expect(hash32(0xc0a8010a, 10)).toBe(995);
    // offset is added after hashing and masked: (offset + hash) & 255
    expect(shHashKey(0x0a000001, 0, 250)).toBe((250 + 39) & 255);
  });
});
