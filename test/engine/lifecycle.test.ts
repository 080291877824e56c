// Conn lifecycle fixtures: reuse on SYN (conn_reuse_mode), deleted dests (expire_nodest_conn 0/1,
// trash reuse), one-packet scheduling, a full table, no dest → ICMP, TUN output, TTL/MTU errors,
// OVERLOAD thresholds and scheduler change.
import { describe, expect, it } from 'vitest';
import { SVC_F_ONEPACKET } from '../../src/model/constants.js';
import { setTunnelIpId } from '../../src/xmit/tun.js';
import { eth, icmpQuote } from '../helpers/frame-builder.js';
import { CLIENT, DIP, DIRECTOR_MAC, RIP1, RIP2, RS1_MAC, ROUTER_MAC, Rig, VIP, dest, expectFrame, fromClient, service, table } from './harness.js';

function closeToTimeWait(rig: Rig, sport: number): void {
  // DR (INPUT_ONLY): SYN → SR, ACK → ES, FIN → FW, ... a SYN in TIME_WAIT needs a NAT-side close; use
  // RST → CLOSE, which is also "finished" for is_new_conn_expected().
  rig.send(fromClient().tcp({ sport, dport: 80, flags: 'S' }));
  rig.send(fromClient().tcp({ sport, dport: 80, flags: 'A' }));
  rig.send(fromClient().tcp({ sport, dport: 80, flags: 'R' }));
}

describe('engine: conn reuse on SYN (conn_reuse_mode)', () => {
  const t = table([service({ sched: 'rr', dests: [dest(RIP2, 80), dest(RIP1, 80)] })]);
  it('mode 1: a SYN on a CLOSE conn expires it and schedules afresh (next rr dest)', () => {
    const rig = new Rig(t);
    closeToTimeWait(rig, 1);
    expect(rig.conn(CLIENT, 1)?.state).toBe('CLOSE');
    const s = rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ conn: 'new', dest: '10.0.0.11:80' });
    expect(rig.counts(RIP2, 80)).toEqual([0, 0, 0]);
    expect(rig.counts(RIP1, 80)).toEqual([1, 0, 0]);
  });
  it('mode 1: a SYN on a TIME_WAIT NAT conn is rescheduled', () => {
    const rig = new Rig(table([service({ sched: 'rr', dests: [dest(RIP2, 80, { fwd: 'Masq' }), dest(RIP1, 80, { fwd: 'Masq' })] })]));
    const rs = eth({ src: RS1_MAC, dst: DIRECTOR_MAC }).ipv4({ src: '10.0.0.12', dst: CLIENT, ttl: 64 });
    rig.send(fromClient().tcp({ sport: 9, dport: 80, flags: 'S' }));
    rig.send(rs.tcp({ sport: 80, dport: 9, flags: 'SA' }));
    rig.send(fromClient().tcp({ sport: 9, dport: 80, flags: 'A' }));
    rig.send(fromClient().tcp({ sport: 9, dport: 80, flags: 'FA' }));
    rig.send(rs.tcp({ sport: 80, dport: 9, flags: 'FA' }));
    expect(rig.conn(CLIENT, 9)?.state).toBe('TIME_WAIT');
    expect(rig.send(fromClient().tcp({ sport: 9, dport: 80, flags: 'S' }))).toMatchObject({ conn: 'new', dest: '10.0.0.11:80' });
  });
  it('mode 0: the SYN re-uses the old conn and its dest', () => {
    const rig = new Rig(t, { connReuseMode: 0 });
    closeToTimeWait(rig, 1);
    const s = rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ conn: 'hit', dest: '10.0.0.12:80' });
    expect(rig.conn(CLIENT, 1)?.state).toBe('SYN_RECV');
  });
  it('a SYN on an ESTABLISHED conn is not rescheduled', () => {
    const rig = new Rig(t);
    rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'S' }));
    rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'A' }));
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'S' }))).toMatchObject({ conn: 'hit', dest: '10.0.0.12:80' });
  });
});

describe('engine: deleting a dest (expire_nodest_conn)', () => {
  const d1 = dest(RIP1, 80), d2 = dest(RIP2, 80);
  const both = table([service({ id: 900, sched: 'rr', dests: [d2, d1] })]);
  const onlyD1 = table([service({ id: 900, sched: 'rr', dests: [d1] })]);
  it('0 (default): packets of its conns are dropped, the conn stays, counters stay on the trashed dest', () => {
    const rig = new Rig(both);
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    expect(rig.engine.applyTable(onlyD1)).toEqual([]);
    const s = rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'A' }));
    expect(s).toMatchObject({ verdict: 'drop', reason: 'dest_unavailable', dest: '10.0.0.12:80' });
    expect(rig.conn(CLIENT, 1)?.state).toBe('SYN_RECV');
    expect(rig.counts(RIP2, 80)).toEqual([1, 0, 0]);
  });
  it('1: the conn is expired on its next packet; a SYN is rescheduled, a non-SYN passes', () => {
    const rig = new Rig(both, { expireNodestConn: true });
    for (const p of [1, 2, 3]) rig.send(fromClient().tcp({ sport: p, dport: 80, flags: 'S' }));
    expect(rig.conn(CLIENT, 3)?.daddr).toBe(0x0a00000c);
    rig.engine.applyTable(onlyD1);
    // the deletion's sweep already expired the conns of the deleted dest
    expect(rig.conn(CLIENT, 1)).toBeUndefined();
    expect(rig.conn(CLIENT, 2)?.daddr).toBe(0x0a00000b);
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'A' }))).toMatchObject({ verdict: 'pass', conn: 'none' });
    expect(rig.conn(CLIENT, 1)).toBeUndefined();
    expect(rig.send(fromClient().tcp({ sport: 3, dport: 80, flags: 'S' }))).toMatchObject({ verdict: 'tx', conn: 'new', dest: '10.0.0.11:80' });
  });
  it('re-adding the same dest reuses the trashed one with its counters', () => {
    const rig = new Rig(both);
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    const before = rig.engine.conns.dests.find((d) => d && d.port === 80 && d.addr === 0x0a00000c)!;
    rig.engine.applyTable(onlyD1);
    rig.engine.applyTable(table([service({ id: 900, sched: 'rr', dests: [{ ...d2, id: 7777 }, d1] })]));
    const after = rig.engine.conns.dests.find((d) => d && d.port === 80 && d.addr === 0x0a00000c && (d.flags & 1))!;
    expect(after).toBe(before);
    expect(rig.engine.destCounters(7777).activeConns).toBe(1);
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'A' }))).toMatchObject({ verdict: 'tx', conn: 'hit' });
  });
  it('a trashed dest with no conns is freed after 120 s idle', () => {
    const rig = new Rig(both);
    rig.engine.applyTable(onlyD1);
    expect(rig.engine.model.trash.length).toBe(1);
    rig.advance(1000);
    rig.advance(120_000);
    expect(rig.engine.model.trash.length).toBe(0);
  });
});

describe('engine: one-packet scheduling (-o) for UDP', () => {
  it('every datagram is scheduled alone, counted, and freed at once', () => {
    const rig = new Rig(table([service({ id: 901, protocol: 'udp', port: 53, sched: 'rr', flags: SVC_F_ONEPACKET, dests: [dest(RIP2, 53), dest(RIP1, 53)] })]));
    const a = rig.send(fromClient().udp({ sport: 7, dport: 53 }).payload('a'));
    const b = rig.send(fromClient().udp({ sport: 7, dport: 53 }).payload('b'));
    expect([a.dest, b.dest]).toEqual(['10.0.0.12:53', '10.0.0.11:53']);
    expect([a.conn, b.conn]).toEqual(['new', 'new']);
    expect(rig.engine.connections().length).toBe(0);
    expect(rig.engine.serviceStats(901).conns).toBe(2);
    expect(rig.counts(RIP1, 53)).toEqual([0, 0, 0]);
  });
});

describe('engine: full conn table', () => {
  it('new conns are dropped and counted; existing conns keep working', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80)] })]), { maxConns: 4 });
    for (let p = 1; p <= 4; p++) expect(rig.send(fromClient().tcp({ sport: p, dport: 80, flags: 'S' })).verdict).toBe('tx');
    expect(rig.send(fromClient().tcp({ sport: 5, dport: 80, flags: 'S' }))).toMatchObject({ verdict: 'drop', reason: 'conn_table_full' });
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'A' }))).toMatchObject({ verdict: 'tx', conn: 'hit' });
    expect(rig.engine.conns.fullDrops).toBe(1);
    rig.advance(60_000);
    expect(rig.send(fromClient().tcp({ sport: 5, dport: 80, flags: 'S' })).verdict).toBe('tx');
  });
});

describe('engine: no dest available', () => {
  it('TCP SYN → ICMP port unreachable from the VIP to the client, packet dropped', () => {
    const rig = new Rig(table([service({ port: 25, dests: [dest(RIP1, 25, { weight: 0 })] })]));
    const syn = fromClient().tcp({ sport: 33, dport: 25, flags: 'S' });
    const s = rig.send(syn);
    expect(s).toMatchObject({ verdict: 'drop', reason: 'no_dest', service: 'TCP 10.0.0.100:25' });
    expect(s.extra.length).toBe(1);
    const want = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 64, tos: 0xc0, id: 0 })
      .icmp({ type: 3, code: 3 }).payload(icmpQuote(syn.build()));
    expectFrame(s.extra[0]!, want);
  });
});

describe('engine: TUN (ipip) and transmit errors', () => {
  it('TUN: outer header from the director address to the RIP, TTL decremented inside', () => {
    setTunnelIpId(0x100);
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80, { fwd: 'Tunnel' })] })]));
    const s = rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ verdict: 'tx', fwd: 'Tunnel' });
    expectFrame(s.out, eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: DIP, dst: RIP1, ttl: 63, id: 0x100 })
      .ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1 }).tcp({ sport: 1, dport: 80, flags: 'S' }));
  });
  it('TTL 1 → ICMP time exceeded, drop; DF too big → frag needed with the tunnel MTU', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80, { fwd: 'Tunnel' })] })]));
    const ttl1 = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 1 }).tcp({ sport: 1, dport: 80, flags: 'S' });
    const s = rig.send(ttl1);
    expect(s).toMatchObject({ verdict: 'drop', reason: 'ttl_expired' });
    expect(s.extra.length).toBe(1);
    const big = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 64, df: true }).tcp({ sport: 1, dport: 80, flags: 'A' }).payload(1470);
    const b = rig.send(big);
    expect(b).toMatchObject({ verdict: 'drop', reason: 'frag_needed' });
    const want = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 64, tos: 0xc0, id: 0 })
      .icmp({ type: 3, code: 4, mtu: 1480 }).payload(icmpQuote(big.build()));
    expectFrame(b.extra[0]!, want);
  });
});

describe('engine: OVERLOAD thresholds and scheduler change', () => {
  it('-x 2: the second conn sets OVERLOAD, the dest is skipped; unbinding clears it (3/4 rule)', () => {
    const rig = new Rig(table([service({ sched: 'rr', dests: [dest(RIP2, 80), dest(RIP1, 80, { uThreshold: 2 })] })]));
    const seq: string[] = [];
    for (let p = 1; p <= 5; p++) seq.push(rig.send(fromClient().tcp({ sport: p, dport: 80, flags: 'S' })).dest!);
    expect(seq).toEqual(['10.0.0.12:80', '10.0.0.11:80', '10.0.0.12:80', '10.0.0.11:80', '10.0.0.12:80']);
    const d = rig.engine.conns.dests.find((x) => x && x.uThreshold === 2)!;
    expect(d.flags & 2).toBe(2);
    rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'A' }));
    rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'R' }));
    expect(d.flags & 2).toBe(2);
    rig.advance(10_000);
    expect(d.flags & 2).toBe(0);
  });
  it('-E with another scheduler re-inits its state; conns keep their dest', () => {
    const t1 = table([service({ id: 950, sched: 'rr', dests: [dest(RIP2, 80, { id: 951 }), dest(RIP1, 80, { id: 952 })] })]);
    const rig = new Rig(t1);
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    const t2 = table([service({ id: 950, sched: 'wlc', dests: [dest(RIP2, 80, { id: 951 }), dest(RIP1, 80, { id: 952 })] })]);
    expect(rig.engine.applyTable(t2)).toEqual([]);
    expect(rig.engine.model.serviceById.get(950)!.scheduler.name).toBe('wlc');
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'S' })).dest).toBe('10.0.0.11:80');
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'A' })).dest).toBe('10.0.0.12:80');
  });
  it('a bad table changes nothing and says why', () => {
    const t1 = table([service({ id: 960, dests: [dest(RIP1, 80)] })]);
    const rig = new Rig(t1);
    const bad = table([service({ id: 960, sched: 'nosuch', dests: [dest(RIP1, 80)] }), service({ id: 961, addr: '10.0.0.300' })]);
    const errs = rig.engine.applyTable(bad);
    expect(errs.join('\n')).toMatch(/unknown scheduler 'nosuch'/);
    expect(errs.join('\n')).toMatch(/bad address '10.0.0.300'/);
    expect(rig.engine.model.serviceById.get(960)!.scheduler.name).toBe('rr');
    expect(rig.engine.model.serviceById.size).toBe(1);
  });
});

describe('engine: fragmentation of frames over the MTU without DF (ignore_df)', () => {
  it('DR: a 2000-byte packet leaves as a first fragment plus one more, in order', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80)] })]));
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    const big = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 64, id: 77 }).tcp({ sport: 1, dport: 80, flags: 'A' }).payload(1960);
    const s = rig.send(big);
    expect(s.verdict).toBe('tx');
    expect(s.extra.length).toBe(1);
    const first = s.out, second = s.extra[0]!;
    // first: 14 + 20 + 1480 bytes, MF set; second: the rest, offset 1480/8
    expect(first.length).toBe(14 + 1500);
    expect((first[14 + 6]! & 0x20) !== 0).toBe(true);
    expect(((second[14 + 6]! & 0x1f) << 8 | second[14 + 7]!) * 8).toBe(1480);
    expect(second.length).toBe(14 + 20 + (20 + 1960 - 1480));
    expect([...first.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 0x11]);
    expect([...second.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 0x11]);
  });
});

describe('engine: ICMP errors about our own IP-in-IP packets (§5.6)', () => {
  const tunFrame = () => eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: DIP, dst: RIP1, ttl: 63, df: true })
    .ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1, df: true }).tcp({ sport: 1, dport: 80, flags: 'A' }).payload(1400).build();
  const quote = (f: Uint8Array) => f.slice(14, 14 + 20 + 20 + 20);
  it('frag needed from a router on the tunnel path → frag needed (mtu - 20) to the client about its packet', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80, { fwd: 'Tunnel' })] })]));
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    const err = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: '10.0.0.1', dst: DIP, ttl: 64 }).icmp({ type: 3, code: 4, mtu: 1400 }).payload(quote(tunFrame()));
    const s = rig.send(err);
    expect(s).toMatchObject({ verdict: 'tx', conn: 'hit', fwd: 'Tunnel' });
    const innerPkt = eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1, df: true }).tcp({ sport: 1, dport: 80, flags: 'A' }).payload(1400).build();
    const want = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 64, tos: 0xc0, id: 0 })
      .icmp({ type: 3, code: 4, mtu: 1380 }).payload(icmpQuote(innerPkt));
    expectFrame(s.out, want);
  });
  it('an error about a packet of no conn passes', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80, { fwd: 'Tunnel' })] })]));
    const err = eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: '10.0.0.1', dst: DIP, ttl: 64 }).icmp({ type: 11, code: 0 }).payload(quote(tunFrame()));
    expect(rig.send(err).verdict).toBe('pass');
  });
});

describe('engine: more sysctl and OPS corners', () => {
  it('expire_nodest_conn=1: a SYN on a conn whose dest has weight 0 is rescheduled', () => {
    const mk = (w: number) => table([service({ id: 970, sched: 'rr', dests: [dest(RIP2, 80, { id: 971, weight: w }), dest(RIP1, 80, { id: 972 })] })]);
    const rig = new Rig(mk(1), { expireNodestConn: true });
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'A' }));
    rig.engine.applyTable(mk(0));
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }))).toMatchObject({ conn: 'new', dest: '10.0.0.11:80' });
  });
  it('sloppy_tcp: a non-SYN, non-RST packet may create a conn; RST never does', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80)] })]), { sloppyTcp: true });
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'A' }))).toMatchObject({ verdict: 'tx', conn: 'new' });
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'R' }))).toMatchObject({ verdict: 'pass', conn: 'none' });
  });
  it('OPS with persistence: each datagram goes through the template, which outlives the freed conns', () => {
    const rig = new Rig(table([service({ id: 980, protocol: 'udp', port: 53, sched: 'rr', flags: SVC_F_ONEPACKET | 1, timeoutS: 30, dests: [dest(RIP2, 53), dest(RIP1, 53)] })]));
    const a = rig.send(fromClient().udp({ sport: 7, dport: 53 }).payload('a'));
    const b = rig.send(fromClient().udp({ sport: 8, dport: 53 }).payload('b'));
    expect([a.template, b.template, a.dest, b.dest]).toEqual(['new', 'hit', '10.0.0.12:53', '10.0.0.12:53']);
    const conns = rig.engine.connections();
    expect(conns.length).toBe(1);
    expect(conns[0]!.flags & 0x1000).toBe(0x1000);
    expect(rig.counts(RIP2, 53)).toEqual([0, 0, 1]);
    rig.advance(30_000);
    expect(rig.engine.connections().length).toBe(0);
    expect(rig.engine.serviceStats(980).conns).toBe(2);
  });
  it('a non-persistent port-0 service cannot schedule: ICMP port unreachable, dropped, counted', () => {
    const rig = new Rig(table([service({ port: 0, dests: [dest(RIP1, 0)] })]));
    const s = rig.send(fromClient().tcp({ sport: 1, dport: 22, flags: 'S' }));
    expect(s).toMatchObject({ verdict: 'drop', reason: 'port_zero' });
    expect(s.extra.length).toBe(1);
  });
  it('a non-persistent port-21 service leaves FTP data connections alone (pass)', () => {
    const rig = new Rig(table([service({ port: 21, dests: [dest(RIP1, 21)] })]));
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 40000, flags: 'S' }))).toMatchObject({ verdict: 'pass', conn: 'none', service: 'TCP 10.0.0.100:21' });
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 21, flags: 'S' }))).toMatchObject({ verdict: 'tx', conn: 'new' });
  });
});

describe('engine: DIFF behaviours', () => {
  it('no_neigh: an unresolved next hop drops the frame untouched and counts it', () => {
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80)] })]), { neighbours: { macs: new Uint8Array(6), lookup: () => -1 } });
    const f = fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }).build();
    const s = rig.send(f);
    expect(s).toMatchObject({ verdict: 'drop', reason: 'no_neigh', conn: 'new', dest: '10.0.0.11:80' });
    expect(Buffer.from(s.out).equals(Buffer.from(f))).toBe(true);
  });
  it('lazy expiry: without a wheel walk, a lookup treats a conn whose time has come as expired', () => {
    const rig = new Rig(table([service({ sched: 'rr', dests: [dest(RIP2, 80), dest(RIP1, 80)] })]), { exactTimers: false });
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    rig.clock.nowMs += 60_000; // SYN_RECV timeout, no tick
    const s = rig.engine;
    const d = rig.d;
    const buf = new Uint8Array(200);
    const f = fromClient().tcp({ sport: 1, dport: 80, flags: 'A' }).build();
    buf.set(f, 64);
    d.buf = buf; d.off = 64; d.len = f.length; d.port = 0;
    expect(s.processFrame(d)).toBe(2);
    expect(s.decision.conn).toBe(0);
    expect(rig.counts(RIP2, 80)).toEqual([0, 0, 0]);
  });
});

describe('engine: a table is validated whole before anything changes', () => {
  it('mh refusing a service with more dests than its slots refuses the table; bad thresholds too', () => {
    const rig = new Rig(table([service({ id: 990, dests: [dest(RIP1, 80)] })]), { maxDests: 5000 });
    const many = Array.from({ length: 4094 }, (_, k) => dest(`10.1.${k >> 8}.${k & 255}`, 80));
    const errs = rig.engine.applyTable(table([
      service({ id: 990, dests: [dest(RIP1, 80, { uThreshold: -1 })] }),
      service({ id: 991, port: 81, sched: 'mh', dests: many }),
    ]));
    expect(errs.join('\n')).toMatch(/mh: 4094 destinations exceed/);
    expect(errs.join('\n')).toMatch(/bad thresholds/);
    expect(rig.engine.model.serviceById.size).toBe(1);
    expect(rig.engine.model.serviceById.get(990)!.dests.length).toBe(1);
  });
});
