// ICMP errors: built errors (port unreachable, frag needed, time exceeded) compared with frames
// built from scratch; the embedded-header parser; NAT rewrites of errors both ways (§5.6).
import { describe, expect, it } from 'vitest';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame, PARSE_OK_IPV4 } from '../../src/packet/parse.js';
import {
  DROP_BAD_ICMP_CSUM, DROP_BAD_ICMP_INNER, DROP_ICMP_FRAGMENT, DROP_NO_ROOM, DROP_TRUNC_ICMP, DROP_TTL_EXPIRED,
} from '../../src/packet/drop.js';
import {
  embeddedDf, ICMP_EMBEDDED_OK, ICMP_NOT_ERROR, IcmpEmbedded, parseIcmpError, parseIcmpTunnelInner,
} from '../../src/packet/icmp.js';
import {
  buildIcmpError, icmpNatIn, icmpNatOut, IcmpRateLimit, tunnelErrorMtu, writeIcmpError,
} from '../../src/xmit/icmp-error.js';
import { eth, frameDiff, icmpQuote, type FrameBuilder } from '../helpers/frame-builder.js';
import {
  CLIENT, client, DIP, dip, DIRECTOR_MAC, directorMac, rip, RIP, RIP_REMOTE, ripRemote, ROUTER_MAC, routerMac, RS_MAC, rsMac,
  vip, VIP,
} from './topology.js';

function parsed(f: FrameBuilder | Uint8Array): PacketDesc {
  const b = f instanceof Uint8Array ? f : f.build();
  const d = new PacketDesc();
  expect(parseFrame(d, b, 0, b.length, 0)).toBe(PARSE_OK_IPV4);
  return d;
}

const syn = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC })
  .ipv4({ src: CLIENT, dst: VIP, ttl: 60, df: true, id: 0x1111, tos: 0x12 })
  .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 123456, options: [2, 4, 5, 0xb4] });

function build(d: PacketDesc, type: number, code: number, info: number, out = new Uint8Array(200)): { n: number; frame: Uint8Array } {
  const n = buildIcmpError(out, 10, d, type, code, info, vip, directorMac, 0, d.buf, d.off + 6);
  return { n, frame: out.slice(10, 10 + Math.max(n, 0)) };
}

describe('buildIcmpError', () => {
  const kinds: [string, number, number, number][] = [
    ['port unreachable (no dest, §4.7)', 3, 3, 0],
    ['fragmentation needed with MTU (§5.3/5.4)', 3, 4, 1480],
    ['time exceeded', 11, 0, 0],
  ];
  for (const [name, type, code, info] of kinds) {
    it(name, () => {
      const input = syn.build();
      const { n, frame } = build(parsed(input), type, code, info);
      const want = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC })
        .ipv4({ src: VIP, dst: CLIENT, tos: 0xc0 | (0x12 & 0x1e), ttl: 64 })
        .icmp({ type, code, rest: info })
        .payload(icmpQuote(input))
        .build();
      expect(frameDiff(frame, want)).toBeNull();
      expect(n).toBe(want.length);
      // DIFF: header + 8 bytes (Linux quotes up to 576 bytes in all).
      expect(n).toBe(14 + 20 + 8 + 20 + 8);
    });
  }

  it('quotes IP options and keeps the offender’s VLAN tag', () => {
    const input = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC, vlan: 5 })
      .ipv4({ src: CLIENT, dst: VIP, options: [0x94, 4, 0, 0] }).udp({ sport: 9, dport: 53 }).payload(100).build();
    const { frame } = build(parsed(input), 3, 3, 0);
    const want = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC, vlan: 5 })
      .ipv4({ src: VIP, dst: CLIENT, tos: 0xc0, ttl: 64 }).icmp({ type: 3, code: 3 }).payload(icmpQuote(input)).build();
    expect(frameDiff(frame, want)).toBeNull();
    expect(frame.length).toBe(18 + 20 + 8 + 24 + 8);
  });

  it('quotes less when the packet is shorter than header + 8', () => {
    const input = eth().ipv4({ src: CLIENT, dst: VIP, proto: 50 }).payload(3).build();
    const { n } = build(parsed(input), 3, 3, 0);
    expect(n).toBe(14 + 20 + 8 + 23);
  });

  it('sends nothing about ICMP errors, later fragments or martian sources; echo requests are answered', () => {
    const err = eth().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 3, code: 1 }).payload(28).build();
    expect(build(parsed(err), 11, 0, 0).n).toBe(0);
    const frag = eth().ipv4({ src: CLIENT, dst: VIP, fragOffset: 8, proto: 17 }).payload(16).build();
    expect(build(parsed(frag), 11, 0, 0).n).toBe(0);
    for (const src of ['0.0.0.0', '127.0.0.1', '224.0.0.5', '255.255.255.255']) {
      expect(build(parsed(eth().ipv4({ src, dst: VIP }).udp({ sport: 1, dport: 2 })), 3, 3, 0).n).toBe(0);
    }
    const echo = eth().ipv4({ src: CLIENT, dst: VIP, ttl: 1 }).icmp({ type: 8, id: 1, seq: 1 }).build();
    expect(build(parsed(echo), 11, 0, 0).n).toBeGreaterThan(0);
  });

  it('refuses an output buffer that is too small', () => {
    expect(build(parsed(syn), 3, 3, 0, new Uint8Array(60)).n).toBe(-DROP_NO_ROOM);
  });
});

// A reply the VIP sent to the client (as the client sees it), quoted by a router on the client side.
const vipReply = eth().ipv4({ src: VIP, dst: CLIENT, ttl: 63, df: true, id: 0x2222 })
  .tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 999, ack: 123457 }).payload(40).build();
// The same packet as the real server sent it (before NAT out).
const rsReply = eth().ipv4({ src: RIP, dst: CLIENT, ttl: 63, df: true, id: 0x2222 })
  .tcp({ sport: 8080, dport: 40000, flags: 'SA', seq: 999, ack: 123457 }).payload(40).build();

describe('parseIcmpError', () => {
  it('fills the embedded header for TCP and UDP', () => {
    const f = eth().ipv4({ src: '198.51.100.1', dst: VIP }).icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(vipReply)).build();
    const d = parsed(f);
    const e = new IcmpEmbedded();
    expect(parseIcmpError(e, d)).toBe(ICMP_EMBEDDED_OK);
    expect(e).toMatchObject({ l3Off: 42, l4Off: 62, ihl: 20, proto: 6, saddr: vip, daddr: client, sport: 80, dport: 40000, hasPorts: true, l4Len: 8 });
  });

  it('passes non-errors and drops bad ones', () => {
    const e = new IcmpEmbedded();
    const q = icmpQuote(vipReply);
    expect(parseIcmpError(e, parsed(eth().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 8 }).payload(30)))).toBe(ICMP_NOT_ERROR);
    expect(parseIcmpError(e, parsed(eth().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 3, csum: 1 }).payload(q)))).toBe(DROP_BAD_ICMP_CSUM);
    expect(parseIcmpError(e, parsed(eth().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 3 }).payload(q.subarray(0, 19))))).toBe(DROP_TRUNC_ICMP);
    const badInner = q.slice();
    badInner[0] = 0x65;
    expect(parseIcmpError(e, parsed(eth().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 11 }).payload(badInner)))).toBe(DROP_BAD_ICMP_INNER);
    expect(parseIcmpError(e, parsed(eth().ipv4({ src: CLIENT, dst: VIP, mf: true }).icmp({ type: 3 }).payload(q)))).toBe(DROP_ICMP_FRAGMENT);
    // Quoted non-first fragment: no ports.
    const fragQ = icmpQuote(eth().ipv4({ src: VIP, dst: CLIENT, fragOffset: 9, proto: 17 }).payload(20).build());
    expect(parseIcmpError(e, parsed(eth().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 11 }).payload(fragQ)))).toBe(ICMP_EMBEDDED_OK);
    expect([e.hasPorts, e.sport, e.proto]).toEqual([false, 0, 17]);
  });
});

describe('ICMP errors for NAT conns (§5.6)', () => {
  it('incoming: outer daddr := RIP, quoted saddr := RIP, quoted sport := dport', () => {
    const ipo = { src: '198.51.100.1', dst: VIP, ttl: 250, id: 7 };
    const input = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4(ipo).icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(vipReply));
    const d = parsed(input);
    const e = new IcmpEmbedded();
    expect(parseIcmpError(e, d)).toBe(ICMP_EMBEDDED_OK);
    const n = icmpNatIn(d, e, rip, 8080, directorMac, 0, rsMac, 0);
    const want = eth({ src: DIRECTOR_MAC, dst: RS_MAC }).ipv4({ ...ipo, dst: RIP, ttl: 249 })
      .icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(rsReply)).build();
    expect(frameDiff(d.buf, want)).toBeNull();
    expect(n).toBe(want.length);
    expect([e.saddr, e.sport, d.daddr]).toEqual([rip, 8080, rip]);
  });

  it('outgoing: outer saddr := VIP, quoted daddr := VIP, quoted dport := vport (UDP, L4 checksum untouched)', () => {
    const clientDgram = (dst: string, dport: number): Uint8Array =>
      eth().ipv4({ src: CLIENT, dst, ttl: 50 }).udp({ sport: 5353, dport }).payload(30).build();
    const original = clientDgram(RIP, 8053);
    const ipo = { src: RIP, dst: CLIENT, ttl: 64, tos: 0xc0 };
    const input = eth({ src: RS_MAC, dst: DIRECTOR_MAC }).ipv4(ipo).icmp({ type: 3, code: 3 }).payload(icmpQuote(original));
    const d = parsed(input);
    const e = new IcmpEmbedded();
    expect(parseIcmpError(e, d)).toBe(ICMP_EMBEDDED_OK);
    expect(icmpNatOut(d, e, vip, 53, directorMac, 0, routerMac, 0)).toBe(d.len);
    const q = icmpQuote(clientDgram(VIP, 53));
    // ip_vs_nat_icmp() does not touch the quoted UDP checksum.
    q[26] = original[40]!;
    q[27] = original[41]!;
    const want = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ ...ipo, src: VIP, ttl: 63 })
      .icmp({ type: 3, code: 3 }).payload(q).build();
    expect(frameDiff(d.buf, want)).toBeNull();
  });

  it('drops on TTL ≤ 1 without changing the frame', () => {
    const input = eth().ipv4({ src: CLIENT, dst: VIP, ttl: 1 }).icmp({ type: 11 }).payload(icmpQuote(vipReply)).build();
    const d = parsed(input.slice());
    const e = new IcmpEmbedded();
    expect(parseIcmpError(e, d)).toBe(ICMP_EMBEDDED_OK);
    expect(icmpNatIn(d, e, rip, 8080, directorMac, 0, rsMac, 0)).toBe(-DROP_TTL_EXPIRED);
    expect(icmpNatOut(d, e, vip, 80, directorMac, 0, rsMac, 0)).toBe(-DROP_TTL_EXPIRED);
    expect(frameDiff(d.buf, input)).toBeNull();
  });
});

describe('ICMP errors about our own tunnel packets (§5.6)', () => {
  // What uvs sent: client SYN (DF) inside IP-in-IP to a remote real server.
  const clientSyn = eth().ipv4({ src: CLIENT, dst: VIP, ttl: 63, df: true, id: 0x3333 })
    .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 5 }).build();
  const tunnelled = eth().ipv4({ src: DIP, dst: RIP_REMOTE, ttl: 63, df: true })
    .ipv4({ src: CLIENT, dst: VIP, ttl: 63, df: true, id: 0x3333 }).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 5 }).build();
  // A router on the way quotes 28 bytes of the inner packet (Linux quotes up to 576 bytes).
  const quote = tunnelled.slice(14, 14 + 20 + 28);

  it('finds the client packet inside and relays Fragmentation Needed with mtu - 20', () => {
    const err = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: '172.16.0.1', dst: DIP })
      .icmp({ type: 3, code: 4, mtu: 1400 }).payload(quote).build();
    const d = parsed(err);
    const e = new IcmpEmbedded();
    expect(parseIcmpError(e, d)).toBe(ICMP_EMBEDDED_OK);
    expect([e.proto, e.saddr, e.daddr]).toEqual([4, dip, ripRemote]);
    const inner = new IcmpEmbedded();
    expect(parseIcmpTunnelInner(inner, d, e)).toBe(ICMP_EMBEDDED_OK);
    expect(inner).toMatchObject({ proto: 6, saddr: client, daddr: vip, sport: 40000, dport: 80, hasPorts: true });
    expect(embeddedDf(d, e)).toBe(true);
    const mtu = tunnelErrorMtu(1400, 0);
    expect([mtu, tunnelErrorMtu(1400, 1380), tunnelErrorMtu(88, 0), tunnelErrorMtu(89, 0)]).toEqual([1380, 1360, 88, 69]);
    const out = new Uint8Array(128);
    const n = writeIcmpError(out, 0, d.buf, inner.l3Off, inner.ihl + inner.l4Len, 3, 4, mtu, vip,
      directorMac, 0, routerMac, 0, -1);
    const want = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, tos: 0xc0, ttl: 64 })
      .icmp({ type: 3, code: 4, mtu: 1380 }).payload(icmpQuote(clientSyn)).build();
    expect(frameDiff(out.slice(0, n), want)).toBeNull();
  });

  it('refuses a quote too short for the inner header, or not IP-in-IP', () => {
    const short = eth().ipv4({ src: '172.16.0.1', dst: DIP }).icmp({ type: 3, code: 4, mtu: 1400 }).payload(quote.subarray(0, 28)).build();
    const d = parsed(short);
    const e = new IcmpEmbedded();
    expect(parseIcmpError(e, d)).toBe(ICMP_EMBEDDED_OK);
    expect(parseIcmpTunnelInner(new IcmpEmbedded(), d, e)).toBe(DROP_BAD_ICMP_INNER);
    const notTunnel = parsed(eth().ipv4({ src: CLIENT, dst: VIP }).icmp({ type: 3 }).payload(icmpQuote(vipReply)));
    expect(parseIcmpError(e, notTunnel)).toBe(ICMP_EMBEDDED_OK);
    expect(parseIcmpTunnelInner(new IcmpEmbedded(), notTunnel, e)).toBe(DROP_BAD_ICMP_INNER);
  });
});

describe('IcmpRateLimit (icmp_global_allow)', () => {
  it('allows a burst of 50, then 1000/s refilled in steps of at least 20 ms', () => {
    const rl = new IcmpRateLimit(0);
    let sent = 0;
    for (let i = 0; i < 100; i++) if (rl.allow(0)) sent++;
    expect(sent).toBe(50);
    expect(rl.allow(19)).toBe(false);
    let more = 0;
    for (let i = 0; i < 100; i++) if (rl.allow(20)) more++;
    expect(more).toBe(20);
    // After a long pause the bucket is full again, never above the burst.
    let later = 0;
    for (let i = 0; i < 100; i++) if (rl.allow(10_000)) later++;
    expect(later).toBe(50);
  });
});
