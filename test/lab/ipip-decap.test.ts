// The userspace decapsulator's packet check (netns-lab/ipip-decap.ts innerOffset): what it passes
// to the TUN device and what it drops. Pure; no root needed.

import { describe, expect, it } from 'vitest';
import { innerOffset } from '../../netns-lab/ipip-decap.js';
import { buildUdpPacket } from '../../netns-lab/ipip-send.js';

function wrap(inner: Buffer, proto = 4): Buffer {
  const outer = Buffer.alloc(20 + inner.length);
  outer[0] = 0x45;
  outer.writeUInt16BE(outer.length, 2);
  outer[8] = 64;
  outer[9] = proto;
  Buffer.from([10, 0, 0, 2]).copy(outer, 12);
  Buffer.from([10, 0, 11, 11]).copy(outer, 16);
  inner.copy(outer, 20);
  return outer;
}

describe('ipip-decap innerOffset', () => {
  const inner = buildUdpPacket('10.9.0.2', '10.0.0.100', 5555, 7, Buffer.from('hello'));

  it('finds the inner packet right after the outer header', () => {
    const p = wrap(inner);
    expect(innerOffset(p, p.length)).toBe(20);
    expect(p.subarray(20)).toEqual(inner);
  });

  it('honours outer IP options (IHL > 5)', () => {
    const p = Buffer.concat([Buffer.alloc(4), wrap(inner)]);
    const base = wrap(inner);
    base.copy(p, 0, 0, 20);
    p[0] = 0x46;
    p.writeUInt16BE(24 + inner.length, 2);
    inner.copy(p, 24);
    expect(innerOffset(p, p.length)).toBe(24);
  });

  it('drops what is not IPv4-in-IPv4 or whose lengths disagree, at every truncation', () => {
    const good = wrap(inner);
    expect(innerOffset(wrap(inner, 17), good.length)).toBe(-1);
    const v6 = Buffer.from(good); v6[0] = 0x65;
    expect(innerOffset(v6, v6.length)).toBe(-1);
    const innerV6 = Buffer.from(good); innerV6[20] = 0x60;
    expect(innerOffset(innerV6, innerV6.length)).toBe(-1);
    const badLen = Buffer.from(good); badLen.writeUInt16BE(good.length + 1, 2);
    expect(innerOffset(badLen, badLen.length)).toBe(-1);
    const innerLong = Buffer.from(good); innerLong.writeUInt16BE(inner.length + 4, 22);
    expect(innerOffset(innerLong, innerLong.length)).toBe(-1);
    for (let n = 0; n < good.length; n++) expect(innerOffset(good.subarray(0, n), n)).toBe(-1);
  });
});
