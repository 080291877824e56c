// TUN (IP-in-IP) fixtures: the outer header is written into headroom; compared with an IP-in-IP
// frame built from scratch.
import { beforeEach, describe, expect, it } from 'vitest';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame, PARSE_OK_IPV4 } from '../../src/packet/parse.js';
import { DROP_FRAG_NEEDED, DROP_NO_HEADROOM, DROP_TTL_EXPIRED, DROP_TUN_MTU } from '../../src/packet/drop.js';
import {
  setTunnelIpId, TUN_GRE_CSUM_HLEN, TUN_GUE_HLEN, tunnelFlowPort, tunnelMtu, xmitTunnel, xmitTunnelGre, xmitTunnelGue,
} from '../../src/xmit/tun.js';
import { eth, frameDiff, inetChecksum, type FrameBuilder, type Ipv4Opts } from '../helpers/frame-builder.js';
import {
  CLIENT, client, DIP, dip, DIRECTOR_MAC, directorMac, RIP_REMOTE, ripRemote, ROUTER_MAC, RS_MAC, rsMac, vip, VIP,
} from './topology.js';

function run(input: FrameBuilder, mtu = 1500, headroom = 64): { r: number; d: PacketDesc; frame: Uint8Array; inputOff: number } {
  const s = input.inSlab({ headroom });
  const d = new PacketDesc();
  expect(parseFrame(d, s.buf, s.off, s.len, 0)).toBe(PARSE_OK_IPV4);
  const r = xmitTunnel(d, dip, ripRemote, directorMac, 0, rsMac, 0, mtu);
  return { r, d, frame: s.buf.slice(d.off, d.off + (r > 0 ? r : d.len)), inputOff: s.off };
}

const inEth = { src: ROUTER_MAC, dst: DIRECTOR_MAC };
const outEth = { src: DIRECTOR_MAC, dst: RS_MAC };

describe('xmitTunnel (TUN, ipip)', () => {
  beforeEach(() => setTunnelIpId(0x100));

  const cases: [string, Ipv4Opts, number, number | undefined, number][] = [
    // name, inner header, expected outer tos, vlan, expected outer id
    ['TCP with DF: outer DF, id 0', { src: CLIENT, dst: VIP, ttl: 64, df: true, id: 0x4242, tos: 0x10 }, 0x10, undefined, 0],
    ['no DF: outer id from the counter', { src: CLIENT, dst: VIP, ttl: 50, id: 0x4242 }, 0, undefined, 0x100],
    ['ECN CE becomes ECT(0) outside, DSCP copied', { src: CLIENT, dst: VIP, ttl: 64, df: true, tos: 0xbb }, 0xba, undefined, 0],
    ['ECT(1) copied', { src: CLIENT, dst: VIP, ttl: 64, df: true, tos: 0x01 }, 0x01, undefined, 0],
    ['VLAN tag moves with the Ethernet header', { src: CLIENT, dst: VIP, ttl: 3, options: [1, 1, 1, 0] }, 0, 12, 0x100],
  ];
  for (const [name, ipo, outerTos, vlan, outerId] of cases) {
    it(name, () => {
      const l4 = (b: FrameBuilder): FrameBuilder => b.tcp({ sport: 40000, dport: 80, flags: 'S', seq: 9 }).payload(20);
      const input = l4(eth({ ...inEth, vlan }).ipv4(ipo));
      const want = l4(eth({ ...outEth, vlan })
        .ipv4({ src: DIP, dst: RIP_REMOTE, ttl: ipo.ttl! - 1, tos: outerTos, df: ipo.df, id: outerId })
        .ipv4({ ...ipo, ttl: ipo.ttl! - 1 })).build();
      const { r, d, frame, inputOff } = run(input);
      expect(frameDiff(frame, want)).toBeNull();
      expect(r).toBe(want.length);
      expect(d.off).toBe(inputOff - 20);
      expect(d.len).toBe(want.length);
      // The inner packet did not move: the parsed offsets still describe it.
      expect(d.buf[d.l3Off + 9]).toBe(6);
    });
  }

  it('accepts addresses as int32 bit patterns (addr | 0)', () => {
    const inner = { src: CLIENT, dst: VIP, ttl: 64, df: true };
    const s = eth(inEth).ipv4(inner).udp({ sport: 1, dport: 2 }).inSlab({ headroom: 32 });
    const d = new PacketDesc();
    parseFrame(d, s.buf, s.off, s.len, 0);
    const r = xmitTunnel(d, 0xc0a80002 | 0, 0xc0a80111 | 0, directorMac, 0, rsMac, 0, 1500);
    const want = eth(outEth).ipv4({ src: '192.168.0.2', dst: '192.168.1.17', ttl: 63, df: true })
      .ipv4({ ...inner, ttl: 63 }).udp({ sport: 1, dport: 2 }).build();
    expect(frameDiff(s.buf.slice(d.off, d.off + r), want)).toBeNull();
  });

  it('advances the outer id for each packet without DF', () => {
    const input = eth(inEth).ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 1, dport: 2 });
    const a = run(input);
    const b = run(input);
    expect([(a.frame[18]! << 8) | a.frame[19]!, (b.frame[18]! << 8) | b.frame[19]!]).toEqual([0x100, 0x101]);
  });

  it('does not carry Ethernet padding into the tunnel', () => {
    const inner = { src: CLIENT, dst: VIP, ttl: 64, df: true };
    const input = eth(inEth).ipv4(inner).tcp({ sport: 1, dport: 80, flags: 'R' }).padTo(60);
    const want = eth(outEth).ipv4({ src: DIP, dst: RIP_REMOTE, ttl: 63, df: true }).ipv4({ ...inner, ttl: 63 })
      .tcp({ sport: 1, dport: 80, flags: 'R' }).build();
    expect(frameDiff(run(input).frame, want)).toBeNull();
  });

  it('applies the tunnel MTU (mtu - 20) to DF packets only, and refuses a tunnel MTU below 68', () => {
    const big = (df: boolean): FrameBuilder => eth(inEth).ipv4({ src: CLIENT, dst: VIP, df }).udp({ sport: 1, dport: 2 }).payload(1452);
    // inner total length 1480 = 1500 - 20 fits; 1481 does not
    expect(run(big(true)).r).toBe(14 + 1500);
    expect(run(big(true).payload(1)).r).toBe(-DROP_FRAG_NEEDED);
    expect(tunnelMtu(1500)).toBe(1480);
    expect(run(big(false).payload(1)).r).toBe(14 + 1501);
    const small = eth(inEth).ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 1, dport: 2 });
    expect(run(small, 87).r).toBe(-DROP_TUN_MTU);
    expect(run(small, 88).r).toBeGreaterThan(0);
  });

  it('refuses TTL ≤ 1 and missing headroom, leaving the frame unchanged', () => {
    const expired = eth(inEth).ipv4({ src: CLIENT, dst: VIP, ttl: 1 }).udp({ sport: 1, dport: 2 });
    const e = run(expired);
    expect(e.r).toBe(-DROP_TTL_EXPIRED);
    expect(frameDiff(e.frame, expired.build())).toBeNull();
    const ok = eth(inEth).ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 1, dport: 2 });
    const n = run(ok, 1500, 19);
    expect(n.r).toBe(-DROP_NO_HEADROOM);
    expect(frameDiff(n.frame, ok.build())).toBeNull();
    expect(run(ok, 1500, 20).r).toBeGreaterThan(0);
  });
});

describe('xmitTunnelGre / xmitTunnelGue (--tun-type gre|gue)', () => {
  beforeEach(() => setTunnelIpId(0x200));
  const inner = { src: CLIENT, dst: VIP, ttl: 64, df: true, id: 0x55 };
  const l4 = (b: FrameBuilder): FrameBuilder => b.tcp({ sport: 40000, dport: 80, flags: 'S', seq: 3 }).payload(11);
  const innerAfter = (): Uint8Array => l4(eth().ipv4({ ...inner, ttl: 63 })).build().slice(14);

  function encap(fn: (d: PacketDesc) => number, vlan?: number): { r: number; frame: Uint8Array; d: PacketDesc } {
    const s = l4(eth({ ...inEth, vlan }).ipv4(inner)).inSlab({ headroom: 64 });
    const d = new PacketDesc();
    expect(parseFrame(d, s.buf, s.off, s.len, 0)).toBe(PARSE_OK_IPV4);
    const r = fn(d);
    return { r, d, frame: s.buf.slice(d.off, d.off + (r > 0 ? r : d.len)) };
  }

  it('GRE without checksum: 4-byte header, protocol 47', () => {
    const { r, frame } = encap((d) => xmitTunnelGre(d, dip, ripRemote, false, directorMac, 0, rsMac, 0, 1500));
    const want = eth(outEth).ipv4({ src: DIP, dst: RIP_REMOTE, ttl: 63, df: true, proto: 47 })
      .payload([0, 0, 8, 0]).payload(innerAfter()).build();
    expect(frameDiff(frame, want)).toBeNull();
    expect(r).toBe(14 + 20 + 4 + innerAfter().length);
  });

  it('GRE with checksum over the GRE header and the inner packet, VLAN kept', () => {
    const body = concatBytes(Uint8Array.of(0x80, 0, 8, 0, 0, 0, 0, 0), innerAfter());
    const c = inetChecksum(body);
    body[4] = c >>> 8;
    body[5] = c & 255;
    const { frame } = encap((d) => xmitTunnelGre(d, dip, ripRemote, true, directorMac, 0, rsMac, 0, 1500), 30);
    const want = eth({ ...outEth, vlan: 30 }).ipv4({ src: DIP, dst: RIP_REMOTE, ttl: 63, df: true, proto: 47 }).payload(body).build();
    expect(frameDiff(frame, want)).toBeNull();
  });

  it('GUE: UDP from the flow port to the tunnel port, GUE header, checksum 0 or full', () => {
    const sport = tunnelFlowPort(client, vip, 40000, 80, 6);
    for (const csum of [false, true]) {
      const { frame } = encap((d) => xmitTunnelGue(d, dip, ripRemote, 6080, csum, directorMac, 0, rsMac, 0, 1500));
      const want = eth(outEth).ipv4({ src: DIP, dst: RIP_REMOTE, ttl: 63, df: true })
        .udp({ sport, dport: 6080, csum: csum ? undefined : 0 }).payload([0, 4, 0, 0]).payload(innerAfter()).build();
      expect(frameDiff(frame, want)).toBeNull();
    }
  });

  it('flow ports are stable per flow, spread over 32768..60999', () => {
    const seen = new Set<number>();
    for (let p = 0; p < 2000; p++) {
      const port = tunnelFlowPort(client, vip, 1024 + p, 80, 6);
      expect(port).toBeGreaterThanOrEqual(32768);
      expect(port).toBeLessThanOrEqual(60999);
      expect(tunnelFlowPort(client | 0, vip, 1024 + p, 80, 6)).toBe(port);
      seen.add(port);
    }
    expect(seen.size).toBeGreaterThan(1900);
  });

  it('subtracts the GUE/GRE header from the tunnel MTU', () => {
    const big = (n: number): FrameBuilder => eth(inEth).ipv4({ src: CLIENT, dst: VIP, df: true }).udp({ sport: 1, dport: 2 }).payload(n);
    const run1 = (f: FrameBuilder, fn: (d: PacketDesc) => number): number => {
      const s = f.inSlab({ headroom: 64 });
      const d = new PacketDesc();
      parseFrame(d, s.buf, s.off, s.len, 0);
      return fn(d);
    };
    const gue = (d: PacketDesc): number => xmitTunnelGue(d, dip, ripRemote, 6080, false, directorMac, 0, rsMac, 0, 1500);
    const gre = (d: PacketDesc): number => xmitTunnelGre(d, dip, ripRemote, true, directorMac, 0, rsMac, 0, 1500);
    expect(tunnelMtu(1500, TUN_GUE_HLEN)).toBe(1468);
    expect(run1(big(1468 - 28), gue)).toBeGreaterThan(0);
    expect(run1(big(1468 - 27), gue)).toBe(-DROP_FRAG_NEEDED);
    expect(tunnelMtu(1500, TUN_GRE_CSUM_HLEN)).toBe(1472);
    expect(run1(big(1472 - 28), gre)).toBeGreaterThan(0);
    expect(run1(big(1472 - 27), gre)).toBe(-DROP_FRAG_NEEDED);
  });
});

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
