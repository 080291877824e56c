// DR (Route) fixtures: frame in → exact frame out, the expected frame built from scratch.
import { describe, expect, it } from 'vitest';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame, PARSE_OK_IPV4 } from '../../src/packet/parse.js';
import { DROP_FRAG_NEEDED, DROP_TTL_EXPIRED } from '../../src/packet/drop.js';
import { xmitRoute } from '../../src/xmit/dr.js';
import { eth, frameDiff, type FrameBuilder, type Ipv4Opts } from '../helpers/frame-builder.js';
import { CLIENT, DIRECTOR_MAC, directorMac, ROUTER_MAC, RS_MAC, rsMac, VIP } from './topology.js';

function run(input: FrameBuilder, mtu = 1500): { r: number; d: PacketDesc; frame: Uint8Array } {
  const s = input.inSlab({ headroom: 32 });
  const d = new PacketDesc();
  expect(parseFrame(d, s.buf, s.off, s.len, 0)).toBe(PARSE_OK_IPV4);
  const r = xmitRoute(d, directorMac, 0, rsMac, 0, mtu);
  return { r, d, frame: s.buf.slice(d.off, d.off + (r > 0 ? r : d.len)) };
}

const inEth = { src: ROUTER_MAC, dst: DIRECTOR_MAC };
const outEth = { src: DIRECTOR_MAC, dst: RS_MAC };

describe('xmitRoute (DR)', () => {
  const cases: [string, Ipv4Opts, (b: FrameBuilder) => FrameBuilder, number | undefined][] = [
    ['TCP SYN with DF', { src: CLIENT, dst: VIP, ttl: 64, df: true, id: 0x1234 }, (b) => b.tcp({ sport: 40000, dport: 80, flags: 'S', seq: 7 }), undefined],
    ['UDP', { src: CLIENT, dst: VIP, ttl: 2, tos: 0xb8 }, (b) => b.udp({ sport: 5000, dport: 53 }).payload('query'), undefined],
    ['IP options', { src: CLIENT, dst: VIP, ttl: 128, options: [0x94, 4, 0, 0] }, (b) => b.tcp({ sport: 1, dport: 80 }).payload(100), undefined],
    ['later fragment', { src: CLIENT, dst: VIP, ttl: 30, fragOffset: 100, proto: 17, id: 5 }, (b) => b.payload(64), undefined],
    ['VLAN', { src: CLIENT, dst: VIP, ttl: 9 }, (b) => b.tcp({ sport: 2, dport: 80, flags: 'PA' }).payload(10), 7],
  ];
  for (const [name, ipo, l4, vlan] of cases) {
    it(`rewrites only MACs and TTL: ${name}`, () => {
      const input = l4(eth({ ...inEth, vlan }).ipv4(ipo));
      const want = l4(eth({ ...outEth, vlan }).ipv4({ ...ipo, ttl: ipo.ttl! - 1 })).build();
      const { r, d, frame } = run(input);
      expect(r).toBe(want.length);
      expect(frameDiff(frame, want)).toBeNull();
      expect(d.ttl).toBe(ipo.ttl! - 1);
    });
  }

  it('refuses TTL ≤ 1 (caller sends Time Exceeded) and leaves the frame unchanged', () => {
    const input = eth(inEth).ipv4({ src: CLIENT, dst: VIP, ttl: 1 }).tcp({ sport: 1, dport: 80 });
    const { r, frame } = run(input);
    expect(r).toBe(-DROP_TTL_EXPIRED);
    expect(frameDiff(frame, input.build())).toBeNull();
  });

  it('refuses DF packets longer than the MTU, forwards non-DF ones', () => {
    const big = (df: boolean): FrameBuilder => eth(inEth).ipv4({ src: CLIENT, dst: VIP, df }).tcp({ sport: 1, dport: 80 }).payload(1461);
    expect(run(big(true), 1500).r).toBe(-DROP_FRAG_NEEDED);
    expect(run(big(true), 1501).r).toBe(14 + 1501);
    expect(run(big(false), 1500).r).toBe(14 + 1501);
    const { r, frame } = run(big(true), 1500);
    expect(r).toBe(-DROP_FRAG_NEEDED);
    expect(frameDiff(frame, big(true).build())).toBeNull();
  });
});
