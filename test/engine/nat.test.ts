// NAT (Masq) fixtures in order: client → RS (DNAT), RS → client (SNAT back), the TCP state
// sequence of §4.4 with ActiveConn/InActConn, UDP, out counters, and ICMP errors about the conn.
import { describe, expect, it } from 'vitest';
import { eth, icmpQuote } from '../helpers/frame-builder.js';
import { CLIENT, DIRECTOR_MAC, RIP1, RS1_MAC, ROUTER_MAC, Rig, VIP, dest, expectFrame, service, table } from './harness.js';

const c2d = () => eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 64, id: 3 });
const d2rs = () => eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: RIP1, ttl: 63, id: 3 });
const rs2d = () => eth({ src: RS1_MAC, dst: DIRECTOR_MAC }).ipv4({ src: RIP1, dst: CLIENT, ttl: 64, id: 4 });
const d2c = () => eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 63, id: 4 });

describe('engine: NAT both ways, client closes first', () => {
  const rig = new Rig(table([
    service({ sched: 'wlc', dests: [dest(RIP1, 8080, { fwd: 'Masq' })] }),
    service({ protocol: 'udp', port: 53, dests: [dest(RIP1, 5353, { fwd: 'Masq' })] }),
  ]), { natPort: 1 });

  it('SYN: daddr/dport rewritten to the RS, sent on the inside port', () => {
    const s = rig.send(c2d().tcp({ sport: 40000, dport: 80, flags: 'S', seq: 10 }));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'new', fwd: 'Masq', dest: '10.0.0.11:8080', port: 1 });
    expectFrame(s.out, d2rs().tcp({ sport: 40000, dport: 8080, flags: 'S', seq: 10 }));
    expect(rig.conn(CLIENT, 40000)?.state).toBe('SYN_RECV');
    expect(rig.counts(RIP1, 8080)).toEqual([1, 0, 0]);
  });

  it('SYN+ACK from the RS: saddr/sport back to VIP:80, to the client MAC learned from the SYN', () => {
    const s = rig.send(rs2d().tcp({ sport: 8080, dport: 40000, flags: 'SA', seq: 99, ack: 11 }), 1);
    expect(s).toMatchObject({ verdict: 'tx', conn: 'hit', fwd: 'Masq', port: 0 });
    expectFrame(s.out, d2c().tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 99, ack: 11 }));
    expect(rig.conn(CLIENT, 40000)?.state).toBe('SYN_RECV');
  });

  it('ACK → ESTABLISHED; data both ways keeps it', () => {
    rig.send(c2d().tcp({ sport: 40000, dport: 80, flags: 'A', seq: 11, ack: 100 }));
    expect(rig.conn(CLIENT, 40000)).toMatchObject({ state: 'ESTABLISHED', expiresInMs: 900_000 });
    const s = rig.send(rs2d().tcp({ sport: 8080, dport: 40000, flags: 'PA', seq: 100, ack: 11 }).payload('hello'), 1);
    expectFrame(s.out, d2c().tcp({ sport: 80, dport: 40000, flags: 'PA', seq: 100, ack: 11 }).payload('hello'));
    expect(rig.counts(RIP1, 8080)).toEqual([1, 0, 0]);
  });

  it('ICMP from the client side about a reply of the conn: forwarded to the RS with the quote rewritten', () => {
    const reply = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 63, id: 4 }).tcp({ sport: 80, dport: 40000, flags: 'A' }).build();
    const s = rig.send(c2d().icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(reply)));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'hit', fwd: 'Masq', port: 1 });
    const quoted = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: RIP1, dst: CLIENT, ttl: 63, id: 4 }).tcp({ sport: 8080, dport: 40000, flags: 'A' }).build();
    expectFrame(s.out, d2rs().icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(quoted)));
  });

  it('ICMP from the RS about a client packet: sent to the client with VIP restored', () => {
    const fromClient = eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: RIP1, ttl: 63, id: 3 }).tcp({ sport: 40000, dport: 8080, flags: 'A' }).build();
    const s = rig.send(rs2d().icmp({ type: 11, code: 0 }).payload(icmpQuote(fromClient)), 1);
    expect(s).toMatchObject({ verdict: 'tx', conn: 'hit', port: 0 });
    const quoted = eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 3 }).tcp({ sport: 40000, dport: 80, flags: 'A' }).build();
    expectFrame(s.out, d2c().icmp({ type: 11, code: 0 }).payload(icmpQuote(quoted)));
  });

  it('client FIN → CLOSE_WAIT (inactive), server FIN → TIME_WAIT, last ACK stays TIME_WAIT', () => {
    rig.send(c2d().tcp({ sport: 40000, dport: 80, flags: 'FA' }));
    expect(rig.conn(CLIENT, 40000)).toMatchObject({ state: 'CLOSE_WAIT', expiresInMs: 60_000 });
    expect(rig.counts(RIP1, 8080)).toEqual([0, 1, 0]);
    rig.send(rs2d().tcp({ sport: 8080, dport: 40000, flags: 'FA' }), 1);
    expect(rig.conn(CLIENT, 40000)).toMatchObject({ state: 'TIME_WAIT', expiresInMs: 120_000 });
    rig.send(c2d().tcp({ sport: 40000, dport: 80, flags: 'A' }));
    expect(rig.conn(CLIENT, 40000)?.state).toBe('TIME_WAIT');
  });

  it('UDP: a conn per flow, always InActConn, replies SNATed, state UDP (300 s)', () => {
    const s = rig.send(c2d().udp({ sport: 5000, dport: 53 }).payload('q'));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'new', dest: '10.0.0.11:5353' });
    expectFrame(s.out, d2rs().udp({ sport: 5000, dport: 5353 }).payload('q'));
    expect(rig.conn(CLIENT, 5000)).toMatchObject({ state: 'UDP', expiresInMs: 300_000 });
    const r = rig.send(rs2d().udp({ sport: 5353, dport: 5000 }).payload('a'), 1);
    expectFrame(r.out, d2c().udp({ sport: 53, dport: 5000 }).payload('a'));
    // UDP without checksum stays without
    const z = rig.send(c2d().udp({ sport: 5000, dport: 53, csum: 0 }).payload('q'));
    expectFrame(z.out, d2rs().udp({ sport: 5000, dport: 5353, csum: 0 }).payload('q'));
    expect(rig.counts(RIP1, 5353)).toEqual([0, 1, 0]);
  });

  it('out counters count NAT replies', () => {
    const id = [...rig.engine.model.destById.entries()].find(([, d]) => d.port === 8080)![0];
    const c = rig.engine.destCounters(id);
    expect(c.stats.outPkts).toBe(4);
    expect(c.stats.inPkts).toBe(5);
  });

  it('the TIME_WAIT conn expires after 120 s', () => {
    rig.advance(120_000);
    expect(rig.conn(CLIENT, 40000)).toBeUndefined();
    expect(rig.counts(RIP1, 8080)).toEqual([0, 0, 0]);
  });
});

describe('engine: NAT, server closes first', () => {
  it('ES → FIN_WAIT on the RS FIN → TIME_WAIT on the client FIN', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80, { fwd: 'Masq' })] })]));
    rig.send(c2d().tcp({ sport: 1, dport: 80, flags: 'S' }));
    rig.send(rs2d().tcp({ sport: 80, dport: 1, flags: 'SA' }));
    rig.send(c2d().tcp({ sport: 1, dport: 80, flags: 'A' }));
    rig.send(rs2d().tcp({ sport: 80, dport: 1, flags: 'FA' }));
    expect(rig.conn(CLIENT, 1)).toMatchObject({ state: 'FIN_WAIT', expiresInMs: 120_000 });
    rig.send(c2d().tcp({ sport: 1, dport: 80, flags: 'FA' }));
    expect(rig.conn(CLIENT, 1)?.state).toBe('TIME_WAIT');
  });
});
