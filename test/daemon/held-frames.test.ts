// The datapath worker's loop (Datapath.step) with in-memory ports: a frame whose next hop has no
// MAC yet is held by the neighbour cache and, once the ARP reply arrives, leaves exactly once,
// counted once (inPkts/inBytes, no drop), as the frame the first pass would have sent. A conn
// that expires while its frame waits is a counted drop (held_conn_gone) and nothing leaves.

import { describe, expect, it } from 'vitest';
import type { PacketIo } from '../../src/io/backend.js';
import type { MemoryIo } from '../../src/io/memory.js';
import { memoryPort } from './memory-port.js';
import { Datapath } from '../../src/daemon/datapath-worker.js';
import type { WorkerInit } from '../../src/daemon/worker-protocol.js';
import { parseRulesFile } from '../../src/control/rules-file.js';
import { ENGINE_DROP_NAMES, VERDICT_NAMES, type Engine } from '../../src/engine/engine.js';
import type { Route } from '../../src/engine/next-hop.js';
import { eth, frameDiff, ip } from '../helpers/frame-builder.js';

const DIR_MAC = '02:00:00:00:00:d1';
const ROUTER_MAC = '02:00:00:00:00:fe';
const RS_MAC = '02:00:00:00:00:11';
const DIP = '10.0.0.2';
const VIP = '10.0.0.100';
const CLIENT = '192.0.2.10';

export function counted(e: Engine): { drops: Record<string, number>; verdicts: Record<string, number> } {
  const drops: Record<string, number> = {};
  const verdicts: Record<string, number> = {};
  e.stats.drops.forEach((n, k) => { if (n) drops[ENGINE_DROP_NAMES[k]!] = n; });
  e.stats.verdicts.forEach((n, k) => { if (n) verdicts[VERDICT_NAMES[k]!] = n; });
  return { drops, verdicts };
}

/** Gratuitous ARP (sender = target): the VIP announcements the worker sends after a table change. */
export function isGratuitous(f: Uint8Array): boolean {
  return f[12] === 0x08 && f[13] === 0x06 && f[28] === f[38] && f[29] === f[39] && f[30] === f[40] && f[31] === f[41];
}

/** What was sent, without the VIP announcements (their timing follows the wall clock). */
export function sent(mem: MemoryIo): Uint8Array[] {
  return mem.tx.drain().filter((f) => !isGratuitous(f));
}

/** The target address of an ARP request frame, or null when the frame is something else. */
export function arpRequestFor(f: Uint8Array): string | null {
  if (f[12] !== 0x08 || f[13] !== 0x06 || f[21] !== 1) return null;
  return `${f[38]}.${f[39]}.${f[40]}.${f[41]}`;
}

export function datapath(rules: string, ports: PacketIo[], portAddrs: number[], routes?: Route[]): Datapath {
  const { table, errors } = parseRulesFile(rules, 'rules');
  expect(errors).toEqual([]);
  const init: WorkerInit = {
    ifaces: ports.map((p) => p.ifname), io: 'afpacket', mode: 'ring', maxConns: 1024, addr: portAddrs[0]!, portAddrs,
    table, flags: new SharedArrayBuffer(16), batch: 8, neigh: [], routes,
  };
  const dp = new Datapath(init, ports);
  expect(dp.applyTable(table)).toEqual([]);
  return dp;
}

const RULES = `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 10.0.0.11:80 -i\n`;
const inner = { src: CLIENT, dst: VIP, ttl: 64, df: true, id: 7 };
const syn = () => eth({ src: ROUTER_MAC, dst: DIR_MAC }).ipv4(inner).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }).payload(12);
const arpReply = (from: string, mac: string) => eth({ src: mac, dst: DIR_MAC }).arp({ op: 2, sha: mac, spa: from, tha: DIR_MAC, tpa: DIP }).build();

describe('datapath worker: frames held for ARP', () => {
  it('the first frame of a conn leaves once after the ARP reply, counted once', () => {
    const { mem, io } = memoryPort('m0', DIR_MAC);
    const dp = datapath(RULES, [io], [ip(DIP)]);
    const f = syn().build();
    mem.rx.push(f);
    dp.step(0);
    // Only the ARP request went out; the frame waits.
    expect(sent(mem).map(arpRequestFor)).toEqual(['10.0.0.11']);
    const e = dp.engine;
    const ipLen = f.length - 14;
    expect(e.totalStats()).toEqual({ conns: 1, inPkts: 1, inBytes: ipLen, outPkts: 0, outBytes: 0 });
    expect(counted(e)).toEqual({ drops: {}, verdicts: { held: 1 } });

    mem.rx.push(arpReply('10.0.0.11', RS_MAC));
    dp.step(0);
    const out = sent(mem);
    expect(out).toHaveLength(1);
    const want = eth({ src: DIR_MAC, dst: RS_MAC }).ipv4({ src: DIP, dst: '10.0.0.11', ttl: 63, df: true, id: 0 })
      .ipv4({ ...inner, ttl: 63 }).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }).payload(12).build();
    expect(frameDiff(out[0]!, want)).toBeNull();
    expect(e.totalStats()).toEqual({ conns: 1, inPkts: 1, inBytes: ipLen, outPkts: 0, outBytes: 0 });
    // The ARP reply itself is not for a VIP: passed.
    expect(counted(e)).toEqual({ drops: {}, verdicts: { held: 1, pass: 1, tx: 1 } });
    const snap = dp.snapshot(true);
    expect(snap.counters).toMatchObject({ neigh_held: 1, neigh_released: 1, neigh_holdDrops: 0, heldLost: 0 });
    expect(snap.conns).toMatchObject([{ state: 'SYN_RECV' }]);
    // The next frame of the conn goes straight out, counted.
    mem.rx.push(eth({ src: ROUTER_MAC, dst: DIR_MAC }).ipv4(inner).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 1 }).build());
    dp.step(0);
    expect(sent(mem)).toHaveLength(1);
    expect(e.totalStats().inPkts).toBe(2);
  });

  it('a conn that expires while its frame waits: held_conn_gone, nothing leaves', () => {
    const { mem, io } = memoryPort('m0', DIR_MAC);
    const dp = datapath(RULES, [io], [ip(DIP)]);
    mem.rx.push(syn().build());
    dp.step(0);
    sent(mem);
    const e = dp.engine;
    // Its timer fires (as after 60 s in SYN_RECV) before ARP answers.
    const cp = e.conns.findIn(6, ip(CLIENT) | 0, 40000, ip(VIP) | 0, 80);
    expect(cp).toBeGreaterThanOrEqual(0);
    e.conns.expireNow(cp);
    mem.rx.push(arpReply('10.0.0.11', RS_MAC));
    dp.step(0);
    expect(sent(mem)).toEqual([]);
    expect(counted(e)).toEqual({ drops: { held_conn_gone: 1 }, verdicts: { held: 1, pass: 1, drop: 1 } });
    expect(e.totalStats()).toMatchObject({ conns: 1, inPkts: 1 });
  });
});

describe('datapath worker: an off-link real server behind a gateway', () => {
  it('ARP asks for the gateway, and the held frame leaves to the gateway\'s MAC, tunnelled to the RIP', () => {
    const { mem, io } = memoryPort('m0', DIR_MAC);
    const routes: Route[] = [
      { dst: ip('10.0.0.0'), len: 24, gateway: 0, port: 0, metric: 0, reject: false, dev: 'm0' },
      { dst: 0, len: 0, gateway: ip('10.0.0.1'), port: 0, metric: 0, reject: false, dev: 'm0' },
    ];
    const dp = datapath(`-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 10.0.11.11:80 -i\n`, [io], [ip(DIP)], routes);
    const f = syn().build();
    mem.rx.push(f);
    dp.step(0);
    expect(sent(mem).map(arpRequestFor)).toEqual(['10.0.0.1']);
    mem.rx.push(arpReply('10.0.0.1', ROUTER_MAC));
    dp.step(0);
    const out = sent(mem);
    const want = eth({ src: DIR_MAC, dst: ROUTER_MAC }).ipv4({ src: DIP, dst: '10.0.11.11', ttl: 63, df: true, id: 0 })
      .ipv4({ ...inner, ttl: 63 }).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }).payload(12).build();
    expect(out).toHaveLength(1);
    expect(frameDiff(out[0]!, want)).toBeNull();
    expect(dp.engine.totalStats()).toMatchObject({ conns: 1, inPkts: 1, inBytes: f.length - 14 });
    expect(counted(dp.engine)).toEqual({ drops: {}, verdicts: { held: 1, pass: 1, tx: 1 } });
    expect(dp.snapshot(false).neighbours).toMatchObject([{ ip: '10.0.0.1', mac: ROUTER_MAC, state: 'REACHABLE' }]);
  });

  it('a dest without a route: scheduled, its frames dropped as no_route, nothing sent, no ARP', () => {
    const { mem, io } = memoryPort('m0', DIR_MAC);
    const routes: Route[] = [{ dst: ip('10.0.0.0'), len: 24, gateway: 0, port: 0, metric: 0, reject: false, dev: 'm0' }];
    const dp = datapath(`-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 10.0.11.11:80 -i\n`, [io], [ip(DIP)], routes);
    mem.rx.push(syn().build());
    dp.step(0);
    expect(sent(mem)).toEqual([]);
    expect(counted(dp.engine)).toEqual({ drops: { no_route: 1 }, verdicts: { drop: 1 } });
    // Routes read again (SIGHUP) with a default route: the next frame leaves (after ARP).
    dp.setRoutes([...routes, { dst: 0, len: 0, gateway: ip('10.0.0.1'), port: 0, metric: 0, reject: false, dev: 'm0' }]);
    mem.rx.push(syn().build());
    dp.step(0);
    expect(sent(mem).map(arpRequestFor)).toEqual(['10.0.0.1']);
  });
});
