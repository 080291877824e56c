// NAT (Masq) fixtures both ways; incremental checksums compared with frames built from scratch,
// plus a time-boxed property over random TCP/UDP frames.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame, PARSE_OK_IPV4 } from '../../src/packet/parse.js';
import { DROP_FRAG_NEEDED, DROP_NAT_PROTO, DROP_TTL_EXPIRED } from '../../src/packet/drop.js';
import { xmitNatIn, xmitNatOut } from '../../src/xmit/nat.js';
import { eth, frameDiff, type FrameBuilder, type Ipv4Opts } from '../helpers/frame-builder.js';
import {
  CLIENT, DIRECTOR_MAC, directorMac, rip, RIP, ROUTER_MAC, routerMac, RS_MAC, rsMac, vip, VIP,
} from './topology.js';

const inEth = { src: ROUTER_MAC, dst: DIRECTOR_MAC };
const toRs = { src: DIRECTOR_MAC, dst: RS_MAC };
const fromRs = { src: RS_MAC, dst: DIRECTOR_MAC };
const toRouter = { src: DIRECTOR_MAC, dst: ROUTER_MAC };

function parsed(input: FrameBuilder): { d: PacketDesc; s: { buf: Uint8Array; off: number; len: number } } {
  const s = input.inSlab({ headroom: 16 });
  const d = new PacketDesc();
  expect(parseFrame(d, s.buf, s.off, s.len, 0)).toBe(PARSE_OK_IPV4);
  return { d, s };
}

function natIn(input: FrameBuilder, rport = 8080, mtu = 1500): { r: number; d: PacketDesc; frame: Uint8Array } {
  const { d, s } = parsed(input);
  const r = xmitNatIn(d, rip, rport, directorMac, 0, rsMac, 0, mtu);
  return { r, d, frame: s.buf.slice(s.off, s.off + s.len) };
}

function natOut(input: FrameBuilder, vport = 80, mtu = 1500): { r: number; d: PacketDesc; frame: Uint8Array } {
  const { d, s } = parsed(input);
  const r = xmitNatOut(d, vip, vport, directorMac, 0, routerMac, 0, mtu);
  return { r, d, frame: s.buf.slice(s.off, s.off + s.len) };
}

type L4 = (b: FrameBuilder, sport: number, dport: number) => FrameBuilder;
const l4s: [string, L4][] = [
  ['TCP', (b, sport, dport) => b.tcp({ sport, dport, flags: 'PA', seq: 1000, ack: 2000, options: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] }).payload('hello world')],
  ['UDP', (b, sport, dport) => b.udp({ sport, dport }).payload(33)],
  ['UDP without checksum', (b, sport, dport) => b.udp({ sport, dport, csum: 0 }).payload(7)],
];

describe('xmitNatIn / xmitNatOut (Masq)', () => {
  for (const [name, l4] of l4s) {
    it(`in: daddr := RIP, dport := rport (${name})`, () => {
      const ipo: Ipv4Opts = { src: CLIENT, dst: VIP, ttl: 57, df: true, id: 77 };
      const { r, d, frame } = natIn(l4(eth(inEth).ipv4(ipo), 43210, 80));
      const want = l4(eth(toRs).ipv4({ ...ipo, dst: RIP, ttl: 56 }), 43210, 8080).build();
      expect(frameDiff(frame, want)).toBeNull();
      expect(r).toBe(want.length);
      expect([d.daddr, d.dport, d.ttl]).toEqual([rip, 8080, 56]);
    });
    it(`out: saddr := VIP, sport := vport (${name})`, () => {
      const ipo: Ipv4Opts = { src: RIP, dst: CLIENT, ttl: 64, id: 3 };
      const { r, d, frame } = natOut(l4(eth(fromRs).ipv4(ipo), 8080, 43210));
      const want = l4(eth(toRouter).ipv4({ ...ipo, src: VIP, ttl: 63 }), 80, 43210).build();
      expect(frameDiff(frame, want)).toBeNull();
      expect(r).toBe(want.length);
      expect([d.saddr, d.sport]).toEqual([vip, 80]);
    });
  }

  it('accepts addresses as int32 bit patterns (addr | 0) with the same result, descriptor stays u32', () => {
    const big = '192.168.1.20';
    const mk = (): FrameBuilder => eth(inEth).ipv4({ src: CLIENT, dst: VIP, ttl: 9 }).tcp({ sport: 7, dport: 80 }).payload(5);
    const a = parsed(mk());
    const b = parsed(mk());
    const u32 = 0xc0a80114;
    expect(xmitNatIn(a.d, u32, 8080, directorMac, 0, rsMac, 0, 1500)).toBe(xmitNatIn(b.d, u32 | 0, 8080, directorMac, 0, rsMac, 0, 1500));
    const want = eth(toRs).ipv4({ src: CLIENT, dst: big, ttl: 8 }).tcp({ sport: 7, dport: 8080 }).payload(5).build();
    expect(frameDiff(b.s.buf.slice(b.s.off, b.s.off + b.s.len), want)).toBeNull();
    expect(b.d.daddr).toBe(u32);
  });

  it('stores a UDP checksum that becomes 0 as 0xffff', () => {
    // Choose 2 payload bytes so the rewritten datagram's checksum computes to 0.
    const ipo: Ipv4Opts = { src: CLIENT, dst: RIP, ttl: 9 };
    const probe = eth(toRs).ipv4(ipo).udp({ sport: 1000, dport: 8080 }).payload([0, 0]).build();
    const c = (probe[40]! << 8) | probe[41]!;
    const pay = [c >>> 8, c & 255];
    const want = eth(toRs).ipv4(ipo).udp({ sport: 1000, dport: 8080 }).payload(pay).build();
    expect((want[40]! << 8) | want[41]!).toBe(0xffff);
    const { frame } = natIn(eth(inEth).ipv4({ ...ipo, dst: VIP, ttl: 10 }).udp({ sport: 1000, dport: 80 }).payload(pay));
    expect(frameDiff(frame, want)).toBeNull();
  });

  it('rewrites a first fragment (ports, checksum for the whole datagram) and later fragments (address only)', () => {
    const ipo: Ipv4Opts = { src: CLIENT, dst: VIP, ttl: 40, id: 0x99 };
    // The whole datagram before and after, built from scratch; its first 24 L4 bytes form fragment 1.
    const whole = eth(inEth).ipv4(ipo).tcp({ sport: 5555, dport: 80, flags: 'PA' }).payload(40).build();
    const wholeAfter = eth(toRs).ipv4({ ...ipo, dst: RIP, ttl: 39 }).tcp({ sport: 5555, dport: 8080, flags: 'PA' }).payload(40).build();
    const frag1 = eth(inEth).ipv4({ ...ipo, mf: true, proto: 6 }).payload(whole.subarray(34, 58));
    const frag1Want = eth(toRs).ipv4({ ...ipo, dst: RIP, ttl: 39, mf: true, proto: 6 }).payload(wholeAfter.subarray(34, 58)).build();
    expect(frameDiff(natIn(frag1).frame, frag1Want)).toBeNull();
    const frag2 = eth(inEth).ipv4({ ...ipo, fragOffset: 3, proto: 6 }).payload(whole.subarray(58));
    const frag2Want = eth(toRs).ipv4({ ...ipo, dst: RIP, ttl: 39, fragOffset: 3, proto: 6 }).payload(whole.subarray(58)).build();
    expect(frameDiff(natIn(frag2).frame, frag2Want)).toBeNull();
  });

  it('keeps a VLAN tag and IP options', () => {
    const ipo: Ipv4Opts = { src: CLIENT, dst: VIP, ttl: 20, options: [0x94, 4, 0, 0] };
    const { frame } = natIn(eth({ ...inEth, vlan: 100 }).ipv4(ipo).tcp({ sport: 1, dport: 80 }).payload(3));
    const want = eth({ ...toRs, vlan: 100 }).ipv4({ ...ipo, dst: RIP, ttl: 19 }).tcp({ sport: 1, dport: 8080 }).payload(3).build();
    expect(frameDiff(frame, want)).toBeNull();
  });

  it('refuses TTL ≤ 1, DF over MTU and protocols without ports, frame unchanged', () => {
    const t = eth(inEth).ipv4({ src: CLIENT, dst: VIP, ttl: 1 }).tcp({ sport: 1, dport: 80 });
    const a = natIn(t);
    expect(a.r).toBe(-DROP_TTL_EXPIRED);
    expect(frameDiff(a.frame, t.build())).toBeNull();
    const big = eth(inEth).ipv4({ src: CLIENT, dst: VIP, df: true }).udp({ sport: 1, dport: 80 }).payload(1473);
    expect(natIn(big).r).toBe(-DROP_FRAG_NEEDED);
    const g = eth(inEth).ipv4({ src: CLIENT, dst: VIP, proto: 47 }).payload(8);
    expect(natIn(g).r).toBe(-DROP_NAT_PROTO);
    expect(frameDiff(natIn(g).frame, g.build())).toBeNull();
  });

  it('incremental checksums equal full recomputation on random TCP/UDP frames (time-boxed property)', () => {
    const addr = fc.nat(0xffffffff);
    const port = fc.nat(0xffff);
    fc.assert(
      fc.property(
        fc.boolean(), fc.boolean(), fc.boolean(), addr, addr, port, port, addr, port,
        fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 2, max: 255 }), fc.nat(0xffff), fc.nat(255),
        (tcp, outbound, udpNoCsum, sa, da, sp, dp, newAddr, newPort, payload, ttl, id, tos) => {
          const ipo: Ipv4Opts = { src: sa, dst: da, ttl, id, tos };
          const l4 = (b: FrameBuilder, s: number, dd: number): FrameBuilder => (tcp
            ? b.tcp({ sport: s, dport: dd, seq: id * 7, flags: 'A' })
            : b.udp({ sport: s, dport: dd, csum: udpNoCsum ? 0 : undefined })).payload(payload);
          const input = l4(eth().ipv4(ipo), sp, dp);
          const { d, s } = parsed(input);
          const r = outbound
            ? xmitNatOut(d, newAddr, newPort, directorMac, 0, rsMac, 0, 1500)
            : xmitNatIn(d, newAddr, newPort, directorMac, 0, rsMac, 0, 1500);
          const after = { ...ipo, ttl: ttl - 1, ...(outbound ? { src: newAddr } : { dst: newAddr }) };
          const want = l4(eth({ src: DIRECTOR_MAC, dst: RS_MAC }).ipv4(after), outbound ? newPort : sp, outbound ? dp : newPort).build();
          const got = s.buf.slice(s.off, s.off + s.len);
          expect(r).toBe(want.length);
          expect(frameDiff(got, want)).toBeNull();
        },
      ),
      { numRuns: 3000, interruptAfterTimeLimit: 3000 },
    );
  });
});
