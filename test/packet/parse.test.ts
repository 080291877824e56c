// parseFrame(): fields for each frame kind, every named drop, and robustness (every fixture
// truncated at every length, random bytes) — never a throw, always a code in range.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import {
  DROP_COUNT, DROP_NAMES, parseFrame, PARSE_ARP, PARSE_OK_IPV4, PARSE_OTHER,
} from '../../src/packet/parse.js';
import {
  DROP_BAD_ARP, DROP_BAD_IHL, DROP_BAD_IP_CSUM, DROP_BAD_IP_LEN, DROP_BAD_IP_VERSION, DROP_BAD_TCP_OFF,
  DROP_BAD_UDP_LEN, DROP_TRUNC_ARP, DROP_TRUNC_ETH, DROP_TRUNC_IP, DROP_TRUNC_L4,
} from '../../src/packet/drop.js';
import { eth, ip } from '../helpers/frame-builder.js';
import { parseFixtures } from './fixtures.js';

const base = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' });
const ipv4 = { src: '192.0.2.10', dst: '10.0.0.100' };

function parse(f: Uint8Array, off = 0, len = f.length, port = 0): { r: number; d: PacketDesc } {
  const d = new PacketDesc();
  const r = parseFrame(d, f, off, len, port);
  return { r, d };
}

describe('parseFrame', () => {
  it('parses a TCP SYN with options', () => {
    const f = parseFixtures.tcpSyn!.build();
    const { r, d } = parse(f, 0, f.length, 1);
    expect(r).toBe(PARSE_OK_IPV4);
    expect(d).toMatchObject({
      off: 0, len: f.length, port: 1, ethType: 0x0800, l3Off: 14, l4Off: 34, ihl: 20, ipLen: f.length - 14,
      proto: 6, saddr: ip('192.0.2.10'), daddr: ip('10.0.0.100'), sport: 40000, dport: 80, tcpFlags: 0x02,
      ttl: 61, tos: 0x10, df: true, isFragment: false,
    });
  });

  it('parses UDP, ICMP, VLAN, IP options, IP-in-IP and ARP at an offset in a slab', () => {
    const u = parseFixtures.udp!.inSlab({ headroom: 100 });
    const p = parse(u.buf, u.off, u.len);
    expect(p.r).toBe(PARSE_OK_IPV4);
    expect([p.d.l3Off, p.d.sport, p.d.dport, p.d.proto]).toEqual([114, 5353, 53, 17]);

    const i = parse(parseFixtures.icmpEcho!.build());
    expect([i.r, i.d.icmpType, i.d.icmpCode, i.d.sport]).toEqual([PARSE_OK_IPV4, 8, 0, 0]);

    const v = parse(parseFixtures.vlanTcp!.build());
    expect([v.r, v.d.l3Off, v.d.l4Off, v.d.dport]).toEqual([PARSE_OK_IPV4, 18, 38, 443]);

    const o = parse(parseFixtures.ipOptions!.build());
    expect([o.r, o.d.ihl, o.d.l4Off, o.d.dport]).toEqual([PARSE_OK_IPV4, 24, 38, 10]);

    const t = parse(parseFixtures.ipip!.build());
    expect([t.r, t.d.proto, t.d.sport, t.d.daddr]).toEqual([PARSE_OK_IPV4, 4, 0, ip('10.0.0.11')]);

    const a = parse(parseFixtures.arpRequest!.build());
    expect([a.r, a.d.ethType, a.d.saddr, a.d.daddr]).toEqual([PARSE_ARP, 0x0806, ip('10.0.0.1'), ip('10.0.0.100')]);
  });

  it('parses frames in a view with a byteOffset, and in several buffers alternately', () => {
    const f = parseFixtures.tcpSyn!.build();
    const big = new Uint8Array(f.length + 7);
    big.set(f, 5);
    const view = big.subarray(3);
    const other = parseFixtures.udp!.build();
    for (let k = 0; k < 3; k++) {
      const a = parse(view, 2, f.length);
      expect([a.r, a.d.dport, a.d.saddr]).toEqual([PARSE_OK_IPV4, 80, ip('192.0.2.10')]);
      const b = parse(other);
      expect([b.r, b.d.dport]).toEqual([PARSE_OK_IPV4, 53]);
    }
  });

  it('recognises fragments: the first has ports, later ones none', () => {
    const f1 = parse(parseFixtures.firstFragment!.build());
    expect([f1.r, f1.d.isFragment, f1.d.sport, f1.d.dport]).toEqual([PARSE_OK_IPV4, true, 7, 8]);
    const f2 = parse(parseFixtures.laterFragment!.build());
    expect([f2.r, f2.d.isFragment, f2.d.sport, f2.d.dport, f2.d.proto]).toEqual([PARSE_OK_IPV4, true, 0, 0, 17]);
  });

  it('passes IPv6 and other EtherTypes, ignores Ethernet padding', () => {
    expect(parse(parseFixtures.ipv6!.build()).r).toBe(PARSE_OTHER);
    expect(parse(eth({ vlan: 1, type: 0x8100 }).payload(30).build()).r).toBe(PARSE_OTHER);
    const pad = parse(parseFixtures.padded!.build());
    expect([pad.r, pad.d.ipLen, pad.d.len]).toEqual([PARSE_OK_IPV4, 40, 60]);
  });

  it('does not leak fields from the previous frame', () => {
    const d = new PacketDesc();
    const tcp = parseFixtures.tcpSyn!.build();
    parseFrame(d, tcp, 0, tcp.length, 0);
    const frag = parseFixtures.laterFragment!.build();
    parseFrame(d, frag, 0, frag.length, 0);
    expect([d.sport, d.dport, d.tcpFlags, d.df]).toEqual([0, 0, 0, false]);
  });

  const drops: [string, Uint8Array, number][] = [
    ['short ethernet', new Uint8Array(13), DROP_TRUNC_ETH],
    ['short vlan', eth({ vlan: 3 }).build().subarray(0, 16), DROP_TRUNC_ETH],
    ['short ip', eth().payload(19).build(), DROP_TRUNC_IP],
    ['ip version 6 in 0x0800', base.ipv4({ ...ipv4, version: 6 }).payload(4).build(), DROP_BAD_IP_VERSION],
    ['ihl 4', base.ipv4({ ...ipv4, ihl: 4 }).payload(4).build(), DROP_BAD_IHL],
    ['ihl beyond frame', base.ipv4({ ...ipv4, ihl: 15 }).payload(4).build(), DROP_TRUNC_IP],
    ['total length beyond frame', base.ipv4({ ...ipv4, totalLength: 100 }).payload(4).build(), DROP_TRUNC_IP],
    ['total length below header', base.ipv4({ ...ipv4, totalLength: 19 }).payload(4).build(), DROP_BAD_IP_LEN],
    ['bad ip checksum', base.ipv4({ ...ipv4, csum: 0x1234 }).payload(4).build(), DROP_BAD_IP_CSUM],
    ['short tcp', base.ipv4({ ...ipv4, proto: 6 }).payload(19).build(), DROP_TRUNC_L4],
    ['short udp', base.ipv4({ ...ipv4, proto: 17 }).payload(7).build(), DROP_TRUNC_L4],
    ['short icmp', base.ipv4({ ...ipv4, proto: 1 }).payload(7).build(), DROP_TRUNC_L4],
    ['tcp doff 4', base.ipv4(ipv4).tcp({ sport: 1, dport: 2, doff: 4 }).build(), DROP_BAD_TCP_OFF],
    ['tcp doff beyond segment', base.ipv4(ipv4).tcp({ sport: 1, dport: 2, doff: 6 }).build(), DROP_BAD_TCP_OFF],
    ['udp length 7', base.ipv4(ipv4).udp({ sport: 1, dport: 2, length: 7 }).build(), DROP_BAD_UDP_LEN],
    ['udp length beyond datagram', base.ipv4(ipv4).udp({ sport: 1, dport: 2, length: 9 }).build(), DROP_BAD_UDP_LEN],
    ['short arp', eth({ type: 0x0806 }).payload(27).build(), DROP_TRUNC_ARP],
    ['arp for another protocol', eth({ type: 0x0806 }).payload(Uint8Array.of(0, 1, 0x86, 0xdd, 6, 4, 0, 1, ...new Array<number>(20).fill(0))).build(), DROP_BAD_ARP],
  ];
  for (const [name, frame, code] of drops) {
    it(`drops ${name} as ${DROP_NAMES[code]}`, () => {
      expect(DROP_NAMES[parse(frame).r]).toBe(DROP_NAMES[code]);
    });
  }

  it('names every code', () => {
    expect(DROP_NAMES.length).toBe(DROP_COUNT);
    expect(new Set(DROP_NAMES).size).toBe(DROP_COUNT);
  });

  it('never throws on any fixture truncated at every length (drop or pass, code in range)', () => {
    const d = new PacketDesc();
    let drops = 0;
    for (const [name, b] of Object.entries(parseFixtures)) {
      const f = b.inSlab({ headroom: 8, tailroom: 0 });
      for (let n = 0; n <= f.len; n++) {
        const r = parseFrame(d, f.buf, f.off, n, 0);
        expect(r >= 0 && r < DROP_COUNT, `${name} cut at ${n}: ${r}`).toBe(true);
        if (r >= 3) drops++;
      }
      // Frames claiming more bytes than the buffer holds are read only up to its end.
      expect(parseFrame(d, f.buf, f.off, f.len + 1000, 0)).toBeGreaterThanOrEqual(0);
    }
    expect(drops).toBeGreaterThan(Object.keys(parseFixtures).length * 10);
    expect(parseFrame(d, new Uint8Array(4), -1, 4, 0)).toBe(DROP_TRUNC_ETH);
    expect(parseFrame(d, new Uint8Array(4), 0, NaN, 0)).toBe(DROP_TRUNC_ETH);
  });

  it('never throws on random frames (time-boxed property)', () => {
    const d = new PacketDesc();
    const header = fc.constantFrom(
      Uint8Array.of(8, 0, 0x45), Uint8Array.of(8, 0, 0x46), Uint8Array.of(0x81, 0, 0, 1, 8, 0, 0x45),
      Uint8Array.of(8, 6), Uint8Array.of(0x86, 0xdd), Uint8Array.of(8, 0, 0x4f),
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 120 }), fc.nat(140), (h, rest, cut) => {
        const f = new Uint8Array(12 + h.length + rest.length);
        f.set(h, 12);
        f.set(rest, 12 + h.length);
        const r = parseFrame(d, f, 0, Math.min(cut, f.length), 0);
        return Number.isInteger(r) && r >= 0 && r < DROP_COUNT;
      }),
      { numRuns: 20000, interruptAfterTimeLimit: 1500 },
    );
  });
});
