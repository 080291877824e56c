// Frames held for an unresolved next hop (engine + uvs run's neighbour cache as its holder): the
// first pass counts the frame once (inPkts/inBytes, conn state) and hands it to the holder
// (verdict `held`, no drop); after the ARP answer xmitHeld() sends exactly the frame the first
// pass would have sent, without counting it or touching the conn again. A conn that expired, a
// dest that was removed, a full hold pool and a failed resolution are counted drops.

import { describe, expect, it } from 'vitest';
import { ENGINE_DROP_NAMES, VERDICT_NAMES, type Engine } from '../../src/engine/engine.js';
import { NeighbourCache } from '../../src/io/neighbour-cache.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { eth, ip, mac } from '../helpers/frame-builder.js';
import { CLIENT, DIRECTOR_MAC, RIP1, RS1_MAC, Rig, VIP, dest, expectFrame, fromClient, service, table } from './harness.js';

const SVC_ID = 7001;
const DEST_ID = 7002;

function drops(e: Engine): Record<string, number> {
  const out: Record<string, number> = {};
  e.stats.drops.forEach((n, k) => { if (n) out[ENGINE_DROP_NAMES[k]!] = n; });
  return out;
}

function verdicts(e: Engine): Record<string, number> {
  const out: Record<string, number> = {};
  e.stats.verdicts.forEach((n, k) => { if (n) out[VERDICT_NAMES[k]!] = n; });
  return out;
}

/** A rig whose next hops resolve through a NeighbourCache that also holds frames. */
function heldRig(fwd: 'Route' | 'Tunnel', holdFrames = 4, protocol: 'tcp' | 'udp' = 'tcp', flags = 0): { rig: Rig; neigh: NeighbourCache } {
  const neigh = new NeighbourCache({ capacity: 16, holdFrames, retransMs: 100, maxProbes: 2 });
  const rig = new Rig(table([service({ id: SVC_ID, protocol, flags, dests: [dest(RIP1, 80, { id: DEST_ID, fwd })] })]), { neighbours: neigh, holder: neigh });
  return { rig, neigh };
}

/** ARP answered for RIP1: every released frame through xmitHeld(), in a buffer with headroom. */
function answer(rig: Rig, neigh: NeighbourCache): Array<{ verdict: string; reason: string | null; out: Uint8Array; port: number }> {
  const released: Array<{ frame: Uint8Array; port: number; conn: number; dest: number }> = [];
  neigh.learn(ip(RIP1), mac(RS1_MAC), 0, 0, (b, off, len, port, conn, d) => released.push({ frame: b.slice(off, off + len), port, conn, dest: d }));
  const e = rig.engine;
  return released.map((r) => {
    const buf = new Uint8Array(64 + r.frame.length + 64);
    buf.set(r.frame, 64);
    const d = new PacketDesc();
    d.buf = buf; d.off = 64; d.len = r.frame.length; d.port = r.port;
    const v = e.xmitHeld(d, r.conn, r.dest);
    const reason = e.decision.reason;
    return { verdict: VERDICT_NAMES[v]!, reason: reason >= 0 ? ENGINE_DROP_NAMES[reason]! : null, out: buf.slice(d.off, d.off + d.len), port: e.decision.txPort };
  });
}

describe('engine: frames held for an unresolved next hop', () => {
  it('the first pass counts the frame once and holds it; the ARP answer sends it, counted nowhere again', () => {
    const { rig, neigh } = heldRig('Route');
    const syn = fromClient().tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }).payload(10);
    const s = rig.send(syn);
    expect(s).toMatchObject({ verdict: 'held', reason: null, conn: 'new', dest: '10.0.0.11:80' });
    const ipLen = syn.build().length - 14;
    const e = rig.engine;
    expect(e.totalStats()).toEqual({ conns: 1, inPkts: 1, inBytes: ipLen, outPkts: 0, outBytes: 0 });
    expect(drops(e)).toEqual({});
    expect(neigh.counters).toMatchObject({ held: 1, holdDrops: 0 });
    const connBefore = rig.conn(CLIENT, 40000);
    expect(connBefore).toMatchObject({ state: 'SYN_RECV', expiresInMs: 60_000 });

    rig.clock.nowMs += 5; // ARP takes a moment
    const out = answer(rig, neigh);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ verdict: 'tx', reason: null, port: 0 });
    expectFrame(out[0]!.out, eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1 }).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }).payload(10));
    // Nothing counted twice, the conn neither moved nor had its timer restarted.
    expect(e.totalStats()).toEqual({ conns: 1, inPkts: 1, inBytes: ipLen, outPkts: 0, outBytes: 0 });
    expect(e.serviceStats(SVC_ID)).toEqual({ conns: 1, inPkts: 1, inBytes: ipLen, outPkts: 0, outBytes: 0 });
    expect(e.destCounters(DEST_ID)).toMatchObject({ activeConns: 1, inactConns: 0, stats: { conns: 1, inPkts: 1, inBytes: ipLen } });
    expect(rig.conn(CLIENT, 40000)).toMatchObject({ state: 'SYN_RECV', expiresInMs: 60_000 - 5 });
    expect(drops(e)).toEqual({});
    expect(verdicts(e)).toEqual({ held: 1, tx: 1 });
    // Later frames of the conn go straight out.
    expect(rig.send(fromClient().tcp({ sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 1 }))).toMatchObject({ verdict: 'tx', conn: 'hit' });
    expect(e.totalStats().inPkts).toBe(2);
  });

  it('TUN: the released frame is the IP-in-IP frame the first pass would have built', () => {
    const { rig, neigh } = heldRig('Tunnel');
    const inner = { src: CLIENT, dst: VIP, ttl: 64, df: true, id: 9 };
    expect(rig.send(eth({ src: '02:00:00:00:00:fe', dst: DIRECTOR_MAC }).ipv4(inner).tcp({ sport: 1, dport: 80, flags: 'S' })).verdict).toBe('held');
    const out = answer(rig, neigh);
    expect(out[0]!.verdict).toBe('tx');
    expectFrame(out[0]!.out, eth({ src: DIRECTOR_MAC, dst: RS1_MAC })
      .ipv4({ src: '10.0.0.2', dst: RIP1, ttl: 63, df: true, id: 0 })
      .ipv4({ ...inner, ttl: 63 }).tcp({ sport: 1, dport: 80, flags: 'S' }));
  });

  it('a conn that expired while its frame waited: dropped as held_conn_gone, nothing sent', () => {
    const { rig, neigh } = heldRig('Route');
    expect(rig.send(fromClient().tcp({ sport: 40001, dport: 80, flags: 'S' })).verdict).toBe('held');
    rig.advance(61_000); // past SYN_RECV's 60 s
    expect(rig.conn(CLIENT, 40001)).toBeUndefined();
    const out = answer(rig, neigh);
    expect(out).toMatchObject([{ verdict: 'drop', reason: 'held_conn_gone' }]);
    const e = rig.engine;
    expect(drops(e)).toEqual({ held_conn_gone: 1 });
    expect(e.totalStats()).toMatchObject({ conns: 1, inPkts: 1 });
  });

  it('a conn replaced meanwhile by a new conn for the same flow, on another dest: held_conn_gone', () => {
    const neigh = new NeighbourCache({ capacity: 16, holdFrames: 4 });
    const rig = new Rig(table([service({ id: SVC_ID, sched: 'rr', dests: [dest(RIP1, 80, { id: DEST_ID }), dest('10.0.0.12', 80)] })]), { neighbours: neigh, holder: neigh });
    expect(rig.send(fromClient().tcp({ sport: 40002, dport: 80, flags: 'S' }))).toMatchObject({ verdict: 'held', dest: '10.0.0.11:80' });
    rig.advance(61_000);
    // The client retries: a new conn (the freed slot is reused), scheduled to the other dest, held too.
    expect(rig.send(fromClient().tcp({ sport: 40002, dport: 80, flags: 'S' }))).toMatchObject({ verdict: 'held', conn: 'new', dest: '10.0.0.12:80' });
    expect(answer(rig, neigh)).toMatchObject([{ verdict: 'drop', reason: 'held_conn_gone' }]);
    expect(drops(rig.engine)).toEqual({ held_conn_gone: 1 });
  });

  it('a dest removed while its frame waited: dropped as held_dest_gone', () => {
    const { rig, neigh } = heldRig('Route');
    rig.send(fromClient().tcp({ sport: 40003, dport: 80, flags: 'S' }));
    expect(rig.engine.applyTable(table([service({ id: SVC_ID, dests: [] })]))).toEqual([]);
    expect(answer(rig, neigh)).toMatchObject([{ verdict: 'drop', reason: 'held_dest_gone' }]);
    expect(drops(rig.engine)).toEqual({ held_dest_gone: 1 });
  });

  it('ONE_PACKET (UDP ops): the conn is gone at once; the frame still leaves for its dest', () => {
    const { rig, neigh } = heldRig('Route', 4, 'udp', 0x0004 /* IP_VS_SVC_F_ONEPACKET */);
    expect(rig.send(fromClient().udp({ sport: 5000, dport: 80 }).payload(8))).toMatchObject({ verdict: 'held', conn: 'new' });
    expect(rig.engine.connections()).toHaveLength(0);
    const out = answer(rig, neigh);
    expect(out[0]!.verdict).toBe('tx');
    expectFrame(out[0]!.out, eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1 }).udp({ sport: 5000, dport: 80 }).payload(8));
    expect(rig.engine.totalStats()).toMatchObject({ conns: 1, inPkts: 1 });
  });

  it('a full hold pool drops (no_neigh); a resolution that fails drops the held frames (neigh_failed)', () => {
    const { rig, neigh } = heldRig('Route', 1);
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' })).verdict).toBe('held');
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'S' }))).toMatchObject({ verdict: 'drop', reason: 'no_neigh' });
    const e = rig.engine;
    for (let t = 0; t <= 1000; t += 100) neigh.tick(t, () => undefined, () => e.countNeighFailed());
    expect(drops(e)).toEqual({ no_neigh: 1, neigh_failed: 1 });
    expect(verdicts(e)).toEqual({ held: 1, drop: 1 });
    expect(e.totalStats()).toMatchObject({ conns: 2, inPkts: 2 });
    expect(neigh.counters).toMatchObject({ held: 1, holdDrops: 1, holdFailed: 1, failed: 1 });
  });
});

describe('engine: holding and sending held frames allocate nothing', () => {
  it('300,000 cycles of hold (NeighbourCache) → ARP answer → xmitHeld, zero GC events', async () => {
    const { PerformanceObserver, performance } = await import('node:perf_hooks');
    // Entries go stale fast, so every cycle starts unresolved again.
    const neigh = new NeighbourCache({ capacity: 16, holdFrames: 4, ttlMs: 10, staleGraceMs: 10 });
    const rig = new Rig(table([service({ dests: [dest(RIP1, 80, { fwd: 'Tunnel' })] })]), { neighbours: neigh, holder: neigh });
    const e = rig.engine;
    const frame = fromClient().tcp({ sport: 40000, dport: 80, flags: 'S' }).payload(20).build();
    const buf = new Uint8Array(64 + 2048);
    const d = new PacketDesc();
    const rs = mac(RS1_MAC);
    const rip = ip(RIP1);
    let held = 0;
    let sent = 0;
    // As the worker's release callback: copy the frame back with headroom, then xmitHeld().
    const release = (b: Uint8Array, off: number, len: number, port: number, conn: number, dst: number): void => {
      for (let k = 0; k < len; k++) buf[64 + k] = b[off + k]!;
      d.buf = buf; d.off = 64; d.len = len; d.port = port;
      if (e.xmitHeld(d, conn, dst) === 0) sent++;
    };
    const cycle = (): void => {
      neigh.nowMs += 100;
      for (let k = 0; k < frame.length; k++) buf[64 + k] = frame[k]!;
      d.buf = buf; d.off = 64; d.len = frame.length; d.port = 0;
      if (e.processFrame(d) === 4) held++;
      neigh.learn(rip, rs, 0, 0, release);
    };
    for (let i = 0; i < 20_000; i++) cycle();
    const starts: number[] = [];
    const obs = new PerformanceObserver((list) => { for (const x of list.getEntries()) starts.push(x.startTime); });
    obs.observe({ entryTypes: ['gc'] });
    held = 0;
    sent = 0;
    const t0 = performance.now();
    for (let i = 0; i < 300_000; i++) cycle();
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 100));
    obs.disconnect();
    expect(held).toBe(300_000);
    expect(sent).toBe(300_000);
    expect(starts.filter((t) => t >= t0 && t <= t1)).toEqual([]);
  }, 20_000);
});
