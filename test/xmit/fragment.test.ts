// IPv4 fragmentation of outgoing frames (ip_fragment()): pieces compared with fragments built from
// scratch; DF refused; fragments of fragments; the tunnel case (outer header fragmented).
import { describe, expect, it } from 'vitest';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame, PARSE_OK_IPV4 } from '../../src/packet/parse.js';
import { DROP_FRAG_NEEDED, DROP_NO_ROOM } from '../../src/packet/drop.js';
import { fragmentFrame, needsFragment } from '../../src/xmit/fragment.js';
import { setTunnelIpId, xmitTunnel } from '../../src/xmit/tun.js';
import { xmitRoute } from '../../src/xmit/dr.js';
import { eth, frameDiff, type EthOpts, type Ipv4Opts } from '../helpers/frame-builder.js';
import { CLIENT, DIP, dip, DIRECTOR_MAC, directorMac, RIP_REMOTE, ripRemote, ROUTER_MAC, RS_MAC, rsMac, VIP } from './topology.js';

const SLOT = 2048;

function setup(frame: Uint8Array): { d: PacketDesc; buf: Uint8Array } {
  const buf = new Uint8Array(64 + frame.length + 64);
  buf.set(frame, 64);
  const d = new PacketDesc();
  expect(parseFrame(d, buf, 64, frame.length, 0)).toBe(PARSE_OK_IPV4);
  return { d, buf };
}

/** Fragments expected from scratch: `ip` header fields, data = the IP payload bytes. */
function expected(e: EthOpts, ip: Ipv4Opts, proto: number, data: Uint8Array, chunk: number, laterOptions?: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let start = 0, k = 0; start < data.length; start += chunk, k++) {
    const last = start + chunk >= data.length;
    out.push(eth(e).ipv4({
      ...ip, proto, mf: !last || ip.mf === true, fragOffset: (ip.fragOffset ?? 0) + start / 8,
      options: k > 0 && laterOptions ? laterOptions : ip.options,
    }).payload(data.subarray(start, Math.min(data.length, start + chunk))).build());
  }
  return out;
}

describe('fragmentFrame', () => {
  const e: EthOpts = { src: DIRECTOR_MAC, dst: RS_MAC };

  it('splits a UDP datagram without DF; non-copied options become NOOPs in later pieces', () => {
    const ip: Ipv4Opts = { src: CLIENT, dst: VIP, ttl: 40, id: 0x77, options: [0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0] };
    const whole = eth(e).ipv4(ip).udp({ sport: 53, dport: 5353 }).payload(1372).build();
    const data = whole.slice(14 + 32);
    const { d, buf } = setup(whole);
    expect(needsFragment(d, 576)).toBe(true);
    const out = new Uint8Array(4 * SLOT);
    const lens = new Uint32Array(4);
    const n = fragmentFrame(d, 576, out, 0, SLOT, 4, lens);
    const want = expected(e, ip, 17, data, 544, [0x94, 4, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(n).toBe(want.length - 1);
    expect(frameDiff(buf.slice(d.off, d.off + d.len), want[0]!)).toBeNull();
    for (let k = 1; k < want.length; k++) {
      expect(frameDiff(out.slice((k - 1) * SLOT, (k - 1) * SLOT + lens[k - 1]!), want[k]!), `piece ${k}`).toBeNull();
    }
  });

  it('fragments a fragment (offsets add up, the last piece keeps MF) and keeps a VLAN tag', () => {
    const ve: EthOpts = { ...e, vlan: 4 };
    const ip: Ipv4Opts = { src: CLIENT, dst: VIP, id: 9, mf: true, fragOffset: 100, proto: 17 };
    const data = new Uint8Array(1000).map((_, i) => i * 7);
    const { d, buf } = setup(eth(ve).ipv4(ip).payload(data).build());
    const out = new Uint8Array(2 * SLOT);
    const lens = new Uint32Array(2);
    expect(fragmentFrame(d, 600, out, 0, SLOT, 2, lens)).toBe(1);
    const want = expected(ve, ip, 17, data, 576);
    expect(frameDiff(buf.slice(d.off, d.off + d.len), want[0]!)).toBeNull();
    expect(frameDiff(out.slice(0, lens[0]), want[1]!)).toBeNull();
  });

  it('leaves fitting frames alone, refuses DF and too few slots', () => {
    const fits = setup(eth(e).ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 1, dport: 2 }).payload(100).build());
    expect(fragmentFrame(fits.d, 1500, new Uint8Array(0), 0, SLOT, 0, new Uint32Array(0))).toBe(0);
    const df = setup(eth(e).ipv4({ src: CLIENT, dst: VIP, df: true }).udp({ sport: 1, dport: 2 }).payload(1000).build());
    expect(fragmentFrame(df.d, 576, new Uint8Array(SLOT), 0, SLOT, 1, new Uint32Array(1))).toBe(-DROP_FRAG_NEEDED);
    const big = eth(e).ipv4({ src: CLIENT, dst: VIP }).udp({ sport: 1, dport: 2 }).payload(2000).build();
    const b = setup(big);
    expect(fragmentFrame(b.d, 576, new Uint8Array(SLOT), 0, SLOT, 1, new Uint32Array(1))).toBe(-DROP_NO_ROOM);
    expect(frameDiff(b.buf.slice(64, 64 + big.length), big)).toBeNull();
  });

  it('DR: a non-DF packet over the MTU is forwarded as fragments', () => {
    const ip: Ipv4Opts = { src: CLIENT, dst: VIP, ttl: 64, id: 5 };
    const input = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4(ip).udp({ sport: 9, dport: 53 }).payload(1600).build();
    const { d, buf } = setup(input);
    expect(xmitRoute(d, directorMac, 0, rsMac, 0, 1500)).toBe(input.length);
    const out = new Uint8Array(SLOT);
    const lens = new Uint32Array(1);
    expect(fragmentFrame(d, 1500, out, 0, SLOT, 1, lens)).toBe(1);
    const data = input.slice(34);
    const want = expected(e, { ...ip, ttl: 63 }, 17, data, 1480);
    expect(frameDiff(buf.slice(d.off, d.off + d.len), want[0]!)).toBeNull();
    expect(frameDiff(out.slice(0, lens[0]), want[1]!)).toBeNull();
  });

  it('TUN: the outer packet of a 1500-byte inner packet without DF is fragmented', () => {
    setTunnelIpId(0x4444);
    const inner: Ipv4Opts = { src: CLIENT, dst: VIP, ttl: 64, id: 5 };
    const input = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4(inner).udp({ sport: 9, dport: 53 }).payload(1472).build();
    const { d, buf } = setup(input);
    expect(xmitTunnel(d, dip, ripRemote, directorMac, 0, rsMac, 0, 1500)).toBe(14 + 1520);
    expect(needsFragment(d, 1500)).toBe(true);
    const out = new Uint8Array(SLOT);
    const lens = new Uint32Array(1);
    expect(fragmentFrame(d, 1500, out, 0, SLOT, 1, lens)).toBe(1);
    const innerBytes = eth().ipv4({ ...inner, ttl: 63 }).udp({ sport: 9, dport: 53 }).payload(1472).build().slice(14);
    const want = expected(e, { src: DIP, dst: RIP_REMOTE, ttl: 63, id: 0x4444 }, 4, innerBytes, 1480);
    expect(frameDiff(buf.slice(d.off, d.off + d.len), want[0]!)).toBeNull();
    expect(frameDiff(out.slice(0, lens[0]), want[1]!)).toBeNull();
  });
});
