// Test helpers: build services the way the kernel does (-A then -a one by one through
// src/sched/dest-list), name dests by letter, and run a scheduler repeatedly.

import { Clock } from '../../src/engine/clock.js';
import { Dest } from '../../src/engine/dest.js';
import type { Service } from '../../src/engine/service.js';
import { IPPROTO_TCP } from '../../src/model/constants.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { addDest, createService } from '../../src/sched/dest-list.js';
import { getScheduler } from '../../src/sched/registry.js';

export const VIP = 0xc0a80001; // 192.168.0.1

let nextId = 1;

/** A service bound to `sched`, then dests added in the given order (so the list is reversed). */
export function makeService(sched: string, weights: Record<string, number> = {}, opts: { flags?: number; clock?: Clock; random?: () => number } = {}): Service {
  const s = getScheduler(sched);
  if (!s) throw new Error(`no scheduler ${sched}`);
  const svc = createService(nextId++, IPPROTO_TCP, VIP, 80, 0, s, opts.random ?? (() => 0), opts.clock ?? new Clock(0), opts.flags ?? 0);
  for (const [name, w] of Object.entries(weights)) add(svc, name, w);
  return svc;
}

/** Dest address for a one-letter name: A → 10.0.0.1, B → 10.0.0.2, ... */
export function addrOf(name: string): number {
  return (0x0a000000 + (name.charCodeAt(0) - 64)) >>> 0;
}

export function nameOf(d: Dest | null): string {
  if (d === null) return '-';
  return String.fromCharCode(64 + (d.addr & 0xff));
}

export function add(svc: Service, name: string, weight = 1): Dest {
  const d = new Dest(nextId++, addrOf(name), 80, weight);
  addDest(svc, d);
  return d;
}

export function dest(svc: Service, name: string): Dest {
  const d = svc.dests.find((x) => x.addr === addrOf(name));
  if (!d) throw new Error(`no dest ${name}`);
  return d;
}

export function pkt(saddr = 0x01020304, sport = 1234, daddr = VIP, dport = 80): PacketDesc {
  const p = new PacketDesc();
  p.proto = IPPROTO_TCP;
  p.saddr = saddr >>> 0;
  p.sport = sport;
  p.daddr = daddr >>> 0;
  p.dport = dport;
  return p;
}

/** Schedule n times with the same packet; dest letters joined by spaces ('-' for null). */
export function seq(svc: Service, n: number, p: PacketDesc = pkt()): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(nameOf(svc.scheduler.schedule(svc, svc.schedState, p)));
  return out.join(' ');
}

export function pick(svc: Service, p: PacketDesc = pkt()): string {
  return nameOf(svc.scheduler.schedule(svc, svc.schedState, p));
}
