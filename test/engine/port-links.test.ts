// Per-port source MAC and MTU (`uvs run --iface A --inside-iface B`): a frame takes the MAC and MTU
// of the port it leaves by. Port 0 (outside) MTU 1500, port 1 (inside, NAT real servers) MTU 1400:
// requests to the RS carry port 1's MAC and are checked/fragmented against 1400; ICMP errors go
// back out port 0 with port 0's MAC; replies to the client leave port 0 with its MAC and 1500.
import { describe, expect, it } from 'vitest';
import type { Route } from '../../src/engine/next-hop.js';
import { PortLinks } from '../../src/engine/port-links.js';
import { StaticNeighbours } from '../../src/engine/static-neighbours.js';
import { eth, icmpQuote, ip, mac } from '../helpers/frame-builder.js';
import { CLIENT, DIRECTOR_MAC, RIP1, RS1_MAC, ROUTER_MAC, Rig, VIP, dest, expectFrame, service, table } from './harness.js';

const INSIDE_MAC = '02:00:00:00:00:d2';
const INSIDE_RIP = '10.1.0.11';
const INSIDE_RS_MAC = '02:00:00:00:01:11';

function twoPorts(): { portMacs: Uint8Array; portMtus: number[] } {
  const portMacs = new Uint8Array(12);
  portMacs.set(mac(DIRECTOR_MAC), 0);
  portMacs.set(mac(INSIDE_MAC), 6);
  return { portMacs, portMtus: [1500, 1400] };
}

/** IP total length 1450: 20 IP + 20 TCP + 1410 payload. */
const BIG_PAYLOAD = 1410;

const c2d = (id: number, df = false) => eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 64, id, df });
const d2rs = (id: number, df = false) => eth({ src: INSIDE_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: RIP1, ttl: 63, id, df });
const rs2d = (id: number, df = false) => eth({ src: RS1_MAC, dst: INSIDE_MAC }).ipv4({ src: RIP1, dst: CLIENT, ttl: 64, id, df });
const d2c = (id: number, df = false) => eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 63, id, df });

describe('engine: per-port MAC and MTU, NAT real servers behind port 1', () => {
  const rig = new Rig(table([service({ dests: [dest(RIP1, 8080, { fwd: 'Masq' })] })]), { ...twoPorts(), natPort: 1 });

  it('SYN to the RS leaves port 1 with port 1\'s MAC', () => {
    const s = rig.send(c2d(3).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 10 }));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'new', fwd: 'Masq', port: 1 });
    expectFrame(s.out, d2rs(3).tcp({ sport: 40000, dport: 8080, flags: 'S', seq: 10 }));
  });

  it('DF, 1450 bytes → Fragmentation Needed with port 1\'s MTU 1400, back out port 0 with port 0\'s MAC', () => {
    const big = c2d(4, true).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 11 }).payload(BIG_PAYLOAD);
    const s = rig.send(big);
    expect(s).toMatchObject({ verdict: 'drop', reason: 'frag_needed' });
    expect(s.extra.length).toBe(1);
    expect(rig.engine.extraPort[0]).toBe(0);
    expectFrame(s.extra[0]!, eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 64, tos: 0xc0, id: 0 })
      .icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(big.build())));
  });

  it('no DF, 1450 bytes → two fragments of at most 1400, both out port 1 with port 1\'s MAC', () => {
    const s = rig.send(c2d(5).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 11 }).payload(BIG_PAYLOAD));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'hit', port: 1 });
    expect(s.extra.length).toBe(1);
    expect(rig.engine.extraPort[0]).toBe(1);
    // The whole NATed datagram, then cut as ip_fragment() would: (1400 - 20) & ~7 = 1376 bytes of data first.
    const whole = d2rs(5).tcp({ sport: 40000, dport: 8080, flags: 'A', seq: 11 }).payload(BIG_PAYLOAD).build();
    const data = whole.subarray(14 + 20);
    const hdr = { src: CLIENT, dst: RIP1, ttl: 63, id: 5, proto: 6 };
    expectFrame(s.out, eth({ src: INSIDE_MAC, dst: RS1_MAC }).ipv4({ ...hdr, mf: true }).payload(data.subarray(0, 1376)));
    expectFrame(s.extra[0]!, eth({ src: INSIDE_MAC, dst: RS1_MAC }).ipv4({ ...hdr, fragOffset: 1376 / 8 }).payload(data.subarray(1376)));
    expect(s.out.length).toBe(14 + 1396);
  });

  it('a 1450-byte reply leaves port 0 whole (MTU 1500) with port 0\'s MAC, DF or not', () => {
    for (const df of [false, true]) {
      const s = rig.send(rs2d(6, df).tcp({ sport: 8080, dport: 40000, flags: 'A', seq: 99 }).payload(BIG_PAYLOAD), 1);
      expect(s).toMatchObject({ verdict: 'tx', conn: 'hit', fwd: 'Masq', port: 0 });
      expect(s.extra.length).toBe(0);
      expectFrame(s.out, d2c(6, df).tcp({ sport: 80, dport: 40000, flags: 'A', seq: 99 }).payload(BIG_PAYLOAD));
    }
  });

  it('ARP for the VIP asked on port 1 is answered with port 1\'s MAC', () => {
    const req = eth({ src: RS1_MAC, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, sha: RS1_MAC, spa: RIP1, tpa: VIP });
    const s = rig.send(req, 1);
    expect(s).toMatchObject({ verdict: 'arp', port: 1 });
    expectFrame(s.out, eth({ src: INSIDE_MAC, dst: RS1_MAC }).arp({ op: 2, sha: INSIDE_MAC, spa: VIP, tha: RS1_MAC, tpa: RIP1 }));
  });
});

describe('engine: per-port MTU on a routed TUN real server', () => {
  const route = (dst: string, len: number, port: number): Route => ({ dst: ip(dst), len, gateway: 0, port, metric: 0, reject: false, dev: `p${port}` });

  it('DF too big for port 1 → Fragmentation Needed with port 1\'s tunnel MTU (1400 - 20)', () => {
    const neighbours = new StaticNeighbours([[ip(INSIDE_RIP), mac(INSIDE_RS_MAC)]]);
    const rig = new Rig(table([service({ dests: [dest(INSIDE_RIP, 80, { fwd: 'Tunnel' })] })]),
      { ...twoPorts(), neighbours, routes: [route('10.0.0.0', 24, 0), route('10.1.0.0', 24, 1)] });
    const small = rig.send(c2d(7, true).tcp({ sport: 1, dport: 80, flags: 'S' }));
    expect(small).toMatchObject({ verdict: 'tx', port: 1 });
    expect(small.out.subarray(0, 12)).toEqual(Uint8Array.from([...mac(INSIDE_RS_MAC), ...mac(INSIDE_MAC)]));
    // 1390 + 20 outer > 1400 on port 1 (fits 1500 on port 0).
    const big = c2d(8, true).tcp({ sport: 1, dport: 80, flags: 'A' }).payload(1390 - 40);
    const s = rig.send(big);
    expect(s).toMatchObject({ verdict: 'drop', reason: 'frag_needed' });
    expectFrame(s.extra[0]!, eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 64, tos: 0xc0, id: 0 })
      .icmp({ type: 3, code: 4, mtu: 1380 }).payload(icmpQuote(big.build())));
  });
});

describe('PortLinks', () => {
  const macOf = (l: PortLinks, p: number): Uint8Array => l.macs.subarray(p * 6, p * 6 + 6);
  it('mac/mtu alone fill every port; portMacs/portMtus override theirs; port 0 is the default without mac/mtu', () => {
    const single = new PortLinks({ mac: mac(DIRECTOR_MAC), mtu: 9000 });
    expect(macOf(single, 3)).toEqual(mac(DIRECTOR_MAC));
    expect(single.mtus[255]).toBe(9000);
    const two = new PortLinks(twoPorts());
    expect(macOf(two, 1)).toEqual(mac(INSIDE_MAC));
    expect(two.mtus[1]).toBe(1400);
    expect(macOf(two, 2)).toEqual(mac(DIRECTOR_MAC));
    expect(two.mtus[2]).toBe(1500);
    expect(new PortLinks({}).mtus[0]).toBe(1500);
  });
});
