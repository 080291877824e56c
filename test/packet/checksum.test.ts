// Checksum helpers: known vectors, and the RFC 1624 incremental updates against full recomputation.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checksum, csumReplace16, csumReplace32, csumReplaceAddrPort, fold, pseudoHeaderSum, rd16, rd32, sumWords, wr16, wr32,
} from '../../src/packet/checksum.js';
import { ipDecreaseTtl, ipHeaderChecksum, ipHeaderValid } from '../../src/packet/ipv4.js';
import { inetChecksum } from '../helpers/frame-builder.js';

const hdr = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61, 192, 168, 0, 1, 192, 168, 0, 199]);

describe('checksum', () => {
  it('verifies and computes the classic IPv4 header (0xb861)', () => {
    expect(checksum(hdr, 0, 20, 0)).toBe(0);
    expect(ipHeaderValid(hdr, 0, 20)).toBe(true);
    expect(ipHeaderChecksum(hdr, 0, 20)).toBe(0xb861);
  });

  it('handles odd lengths and offsets like the builder', () => {
    const b = Uint8Array.from([9, 1, 2, 3, 4, 5, 6]);
    expect(checksum(b, 1, 5, 0)).toBe(inetChecksum(b.subarray(1, 6)));
    expect(fold(sumWords(b, 0, 7, 0))).toBe(fold(0x0901 + 0x0203 + 0x0405 + 0x0600));
    expect(fold(0x1fffe)).toBe(0xffff);
    expect(fold(2 ** 40 + 5)).toBe(0x105);
    expect(fold(0xffffffff)).toBe(0xffff);
  });

  it('reads and writes big-endian fields', () => {
    const b = new Uint8Array(6);
    wr32(b, 1, 0xc0a80001);
    wr16(b, 4, 0xbeef);
    expect(rd32(b, 1)).toBe(0xc0a800be);
    expect(rd16(b, 4)).toBe(0xbeef);
  });

  it('decrements TTL with an incremental update equal to recomputation', () => {
    const b = hdr.slice();
    ipDecreaseTtl(b, 0);
    expect(b[8]).toBe(0x3f);
    expect(rd16(b, 10)).toBe(ipHeaderChecksum(b, 0, 20));
  });

  it('RFC 1624 updates equal full recomputation (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 64 }), fc.nat(0xffffffff), fc.nat(0xffff),
        (data, newAddr, newPort) => {
          const b = data.slice(0, data.length & ~1);
          wr16(b, 0, 0);
          wr16(b, 0, checksum(b, 0, b.length, pseudoHeaderSum(1, 2, 6, b.length)));
          const oldAddr = rd32(b, 4);
          const oldPort = rd16(b, 8);
          const c0 = rd16(b, 0);
          // addr at 4..7, port at 8..9
          wr32(b, 4, newAddr);
          wr16(b, 8, newPort);
          wr16(b, 0, 0);
          const full = checksum(b, 0, b.length, pseudoHeaderSum(1, 2, 6, b.length));
          expect(csumReplaceAddrPort(c0, oldAddr, newAddr, oldPort, newPort)).toBe(full);
          expect(csumReplace16(csumReplace32(c0, oldAddr, newAddr), oldPort, newPort)).toBe(full);
        },
      ),
      { numRuns: 500, interruptAfterTimeLimit: 1000 },
    );
  });
});
