// uvs's own ARP cache: miss → probe → learn → hit, TTL and stale grace, failure after the probes,
// static entries, the bounded hold pool, and a full table that drops and counts.

import { describe, expect, it } from 'vitest';
import { NEIGH_FAILED, NEIGH_INCOMPLETE, NEIGH_REACHABLE, NEIGH_STATIC, NeighbourCache } from '../../src/io/neighbour-cache.js';

const RIP = 0x0a000b0b; // 10.0.11.11
const MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x11]);

function probesAt(c: NeighbourCache, now: number): number[] {
  const sent: number[] = [];
  c.tick(now, (ip) => sent.push(ip));
  return sent;
}

describe('NeighbourCache', () => {
  it('misses, sends one ARP request, learns the reply, then hits', () => {
    const c = new NeighbourCache({ capacity: 16 });
    expect(c.lookup(RIP)).toBe(-1);
    expect(c.lookup(RIP)).toBe(-1);
    expect(c.stateOf(RIP)).toBe(NEIGH_INCOMPLETE);
    expect(probesAt(c, 0)).toEqual([RIP]);
    expect(probesAt(c, 500)).toEqual([]); // not yet due again
    const slot = c.learn(RIP, MAC, 0, 0);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(c.lookup(RIP)).toBe(slot);
    expect(Array.from(c.macs.subarray(slot * 6, slot * 6 + 6))).toEqual(Array.from(MAC));
    expect(c.counters).toMatchObject({ misses: 2, probes: 1, learnt: 1 });
  });

  it('ignores ARP for addresses it never asked about', () => {
    const c = new NeighbourCache({ capacity: 16 });
    expect(c.learn(RIP, MAC, 0, 0)).toBe(-1);
    expect(c.lookup(RIP)).toBe(-1);
  });

  it('expires: stale entries answer while re-probed, then stop', () => {
    const c = new NeighbourCache({ capacity: 16, ttlMs: 1000, staleGraceMs: 500 });
    c.lookup(RIP);
    probesAt(c, 0);
    const slot = c.learn(RIP, MAC, 0, 0);
    c.nowMs = 1200; // stale
    expect(c.lookup(RIP)).toBe(slot);
    expect(probesAt(c, 1200)).toEqual([RIP]);
    c.nowMs = 1600; // past the grace without an answer
    expect(c.lookup(RIP)).toBe(-1);
  });

  it('fails after maxProbes and drops the frames held for it', () => {
    const c = new NeighbourCache({ capacity: 16, retransMs: 100, maxProbes: 3, holdFrames: 4 });
    c.lookup(RIP);
    const frame = new Uint8Array(60).fill(7);
    expect(c.hold(RIP, frame, 0, 60, 0)).toBe(true);
    let sent = 0;
    for (let t = 0; t <= 1000; t += 50) sent += probesAt(c, t).length;
    expect(sent).toBe(3);
    expect(c.stateOf(RIP)).toBe(NEIGH_FAILED);
    expect(c.heldFrames).toBe(0);
    expect(c.counters).toMatchObject({ failed: 1, holdDrops: 0, holdFailed: 1 });
  });

  it('gives each held frame back with its tags, on release and on failure', () => {
    const c = new NeighbourCache({ capacity: 16, retransMs: 100, maxProbes: 1, holdFrames: 4 });
    const other = RIP + 1;
    c.lookup(RIP);
    c.lookup(other);
    const f = new Uint8Array(64);
    expect(c.hold(RIP, f, 0, 64, 1, 17, 901)).toBe(true);
    expect(c.hold(other, f, 0, 64, 0, -1, 902)).toBe(true);
    const released: number[][] = [];
    c.learn(RIP, MAC, 0, 1, (_b, _o, len, port, conn, dest) => released.push([len, port, conn, dest]));
    expect(released).toEqual([[64, 1, 17, 901]]);
    const dropped: number[][] = [];
    for (let t = 0; t <= 500; t += 100) c.tick(t, () => undefined, (conn, dest) => dropped.push([conn, dest]));
    expect(dropped).toEqual([[-1, 902]]);
    expect(c.counters).toMatchObject({ held: 2, released: 1, holdFailed: 1, holdDrops: 0 });
  });

  it('releases held frames on resolution, and bounds the pool', () => {
    const c = new NeighbourCache({ capacity: 16, holdFrames: 2 });
    c.lookup(RIP);
    const f = new Uint8Array(100);
    f[50] = 42;
    expect(c.hold(RIP, f, 0, 100, 1)).toBe(true);
    expect(c.hold(RIP, f, 0, 100, 1)).toBe(true);
    expect(c.hold(RIP, f, 0, 100, 1)).toBe(false);
    const released: Array<[number, number, number]> = [];
    c.learn(RIP, MAC, 0, 1, (buf, off, len, port) => released.push([buf[off + 50]!, len, port]));
    expect(released).toEqual([[42, 100, 1], [42, 100, 1]]);
    expect(c.counters).toMatchObject({ held: 2, released: 2, holdDrops: 1 });
  });

  it('static entries never expire and are not learnt over', () => {
    const c = new NeighbourCache({ capacity: 16, ttlMs: 10 });
    expect(c.setStatic(RIP, MAC)).toBe(true);
    c.nowMs = 1e9;
    const slot = c.lookup(RIP);
    expect(slot).toBeGreaterThanOrEqual(0);
    c.learn(RIP, new Uint8Array(6).fill(9), 0, 0);
    expect(c.macs[slot * 6 + 5]).toBe(0x11);
    expect(c.stateOf(RIP)).toBe(NEIGH_STATIC);
  });

  it('a full table drops new lookups and counts them; dead slots are reused', () => {
    const c = new NeighbourCache({ capacity: 4, retransMs: 1, maxProbes: 1 });
    for (let i = 0; i < 3; i++) c.lookup(0x0a000001 + i);
    expect(c.lookup(0x0a0000ff)).toBe(-1);
    expect(c.counters.tableFull).toBe(1);
    // Let every entry fail, then a new address takes a dead slot.
    for (let t = 0; t < 10; t++) probesAt(c, t * 2);
    c.lookup(0x0a0000fe);
    expect(c.stateOf(0x0a0000fe)).toBe(NEIGH_INCOMPLETE);
    expect(c.counters.tableFull).toBe(1);
  });

  it('answers every one of 500 learnt addresses from its own slot', () => {
    const c = new NeighbourCache({ capacity: 1024 });
    for (let i = 0; i < 500; i++) { c.lookup(i + 1); c.learn(i + 1, MAC, 0, 0); }
    expect(c.stateOf(7)).toBe(NEIGH_REACHABLE);
    const slots = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const s = c.lookup(i + 1);
      expect(s).toBeGreaterThanOrEqual(0);
      slots.add(s);
    }
    expect(slots.size).toBe(500);
  });
});
