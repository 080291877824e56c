// The test frame builder itself: known checksum vectors and layouts, so fixtures built with it are
// trustworthy references for the datapath.
import { describe, expect, it } from 'vitest';
import { decodeFrame, eth, frameDiff, hex, icmpQuote, inetChecksum } from '../helpers/frame-builder.js';

describe('frame builder', () => {
  it('computes the IPv4 header checksum of the classic example (0xb861)', () => {
    const f = eth().ipv4({ src: '192.168.0.1', dst: '192.168.0.199', df: true, ttl: 64, proto: 17, totalLength: 0x73 }).build();
    expect(hex(f, 14, 20)).toBe('45000073000040004011b861c0a80001c0a800c7');
  });

  it('lays out eth/vlan/ipv4/tcp with lengths and a verifiable TCP checksum', () => {
    const f = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', vlan: 7 })
      .ipv4({ src: '10.0.0.1', dst: '10.0.0.100', id: 0x1234 })
      .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })
      .payload('hi')
      .build();
    expect(f.length).toBe(18 + 20 + 20 + 2);
    expect(hex(f, 12, 6)).toBe('810000070800');
    const d = decodeFrame(f);
    expect(d).toContain('vlan.id = 7');
    expect(d).toContain('ip.csum');
    expect(d).not.toContain('BAD');
    expect(d).toContain('tcp.flags = 0x0002');
    // Sum over pseudo-header + segment including the checksum is 0xffff → checksum 0.
    const seg = f.subarray(38);
    const ph = Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 100, 0, 6, 0, seg.length);
    expect(inetChecksum(ph, seg)).toBe(0);
  });

  it('stores a computed UDP checksum of 0 as 0xffff and keeps an explicit 0', () => {
    const f = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 1, dport: 2, csum: 0 }).payload(4).build();
    expect(decodeFrame(f)).toContain('udp.csum = 0x0000 (none)');
  });

  it('builds IP-in-IP and ICMP errors quoting a frame', () => {
    const inner = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).tcp({ sport: 1, dport: 2 }).payload(30).build();
    const q = icmpQuote(inner);
    expect(q.length).toBe(28);
    const err = eth().ipv4({ src: '3.3.3.3', dst: '1.1.1.1' }).icmp({ type: 3, code: 4, mtu: 1400 }).payload(q).build();
    const d = decodeFrame(err);
    expect(d).toContain('icmp.inner.src = 1.1.1.1');
    expect(d).not.toContain('BAD');
    const tun = eth().ipv4({ src: '9.9.9.9', dst: '8.8.8.8' }).ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp({ sport: 5, dport: 6 }).build();
    expect(tun[23]).toBe(4);
    expect(decodeFrame(tun)).toContain('ip.inner.dst = 2.2.2.2');
  });

  it('decodes GRE with its checksum and the inner packet', () => {
    const inner = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp({ sport: 5, dport: 6 }).build().slice(14);
    const body = new Uint8Array(8 + inner.length);
    body.set([0x80, 0, 8, 0]);
    body.set(inner, 8);
    const c = inetChecksum(body);
    body[4] = c >>> 8;
    body[5] = c & 255;
    const d = decodeFrame(eth().ipv4({ src: '9.9.9.9', dst: '8.8.8.8', proto: 47 }).payload(body).build());
    expect(d).toContain('gre.csum');
    expect(d).toContain('ip.inner.dst = 2.2.2.2');
    expect(d).not.toContain('BAD');
  });

  it('reports differences field by field and never throws on garbage', () => {
    const a = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2', ttl: 64 }).udp({ sport: 1, dport: 2 }).build();
    const b = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2', ttl: 63 }).udp({ sport: 1, dport: 2 }).build();
    expect(frameDiff(a, a)).toBeNull();
    expect(frameDiff(b, a)).toContain('ip.ttl = 64');
    for (let n = 0; n <= a.length; n++) expect(typeof decodeFrame(a.subarray(0, n))).toBe('string');
  });
});
