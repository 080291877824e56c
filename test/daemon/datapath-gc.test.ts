// Allocation gate for the datapath worker's loop (Datapath.step: receive batch → ARP learning →
// engine → per-port tx batches → neighbour tick), with an in-memory PacketIo standing in for the
// kernel: after warm-up, 1,000,000 frames (UDP to a NAT service over 256 client flows, replies
// from the real server, and ARP replies refreshing the neighbour) cause no garbage collection.
// Also checks the loop's bookkeeping: every frame forwarded lands on the right port.

import { describe, expect, it } from 'vitest';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { IoCounters, PacketIo, Slab } from '../../src/io/backend.js';
import { Datapath } from '../../src/daemon/datapath-worker.js';
import type { WorkerInit } from '../../src/daemon/worker-protocol.js';
import { parseRulesFile } from '../../src/control/rules-file.js';
import { eth } from '../helpers/frame-builder.js';

const DIR_MAC = '02:00:00:00:00:01';
const CLIENT_MAC = '02:00:00:00:00:02';
const RS_MAC = '02:00:00:00:00:11';

/** Replays a fixed list of frames round-robin, one batch per recv(); counts what is sent. */
class MemoryIo implements PacketIo {
  readonly kind = 'afpacket' as const;
  readonly blocking = true;
  readonly ifindex = 1;
  readonly mtu = 1500;
  readonly mac: Uint8Array;
  sent = 0;
  private next = 0;
  constructor(readonly ifname: string, mac: string, private readonly frames: Uint8Array[]) {
    this.mac = Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
  }
  recv(slab: Slab, first: number, max: number, lens: Uint32Array): number {
    if (this.frames.length === 0) return 0;
    for (let i = 0; i < max; i++) {
      const f = this.frames[this.next]!;
      this.next = (this.next + 1) % this.frames.length;
      slab.u8.set(f, slab.frameOffset(first + i));
      lens[i] = f.length;
    }
    return max;
  }
  send(_buf: Uint8Array, _o: Uint32Array, _l: Uint32Array, count: number): number {
    this.sent += count;
    return count;
  }
  onReadable(): void {}
  stats(): IoCounters { return { packets: 0, drops: 0 }; }
  close(): void {}
}

describe('datapath worker loop allocation gate', () => {
  it('1,000,000 frames through step(), zero GC events', async () => {
    const { table, errors } = parseRulesFile('-A -u 10.0.9.100:53 -s rr\n-a -u 10.0.9.100:53 -r 10.1.0.11:53 -m\n', 'rules');
    expect(errors).toEqual([]);
    const outside: Uint8Array[] = [];
    const inside: Uint8Array[] = [];
    for (let i = 0; i < 256; i++) {
      outside.push(eth({ src: CLIENT_MAC, dst: DIR_MAC }).ipv4({ src: '10.0.9.2', dst: '10.0.9.100' }).udp({ sport: 10000 + i, dport: 53 }).payload(18).build());
      inside.push(eth({ src: RS_MAC, dst: DIR_MAC }).ipv4({ src: '10.1.0.11', dst: '10.0.9.2' }).udp({ sport: 53, dport: 10000 + i }).payload(18).build());
    }
    // The real server also answers ARP now and then (learn() on the hot path).
    inside.push(eth({ src: RS_MAC, dst: DIR_MAC }).arp({ op: 2, sha: RS_MAC, spa: '10.1.0.11', tha: DIR_MAC, tpa: '10.1.0.1' }).build());
    const io0 = new MemoryIo('o0', DIR_MAC, outside);
    const io1 = new MemoryIo('i0', DIR_MAC, inside);
    const init: WorkerInit = {
      ifaces: ['o0', 'i0'], io: 'afpacket', mode: 'ring', maxConns: 4096, addr: 0x0a000901, portAddrs: [0x0a000901, 0x0a010001],
      table, flags: new SharedArrayBuffer(16), batch: 64, neigh: [{ ip: 0x0a01000b, mac: RS_MAC }],
    };
    // An integer clock, 1 ms per batch: performance.now() allocates its result, one number per
    // batch, which is not what this gate is about (the loop's own per-packet and per-batch work).
    let ticks = 0;
    const dp = new Datapath(init, [io0, io1], () => ticks++);
    expect(dp.applyTable(table)).toEqual([]);
    // Warm-up: JIT, conns created, and past the 3 s of gratuitous ARPs for the new VIP (each one
    // sent allocates a little).
    for (let i = 0; i < 5_000; i++) dp.step(0);
    const sent0 = io0.sent + io1.sent;
    // GC entries arrive asynchronously: count those that started inside the loop.
    const starts: number[] = [];
    const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) starts.push(e.startTime); });
    obs.observe({ entryTypes: ['gc'] });
    const t0 = performance.now();
    let frames = 0;
    while (frames < 1_000_000) frames += dp.step(0);
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 100));
    obs.disconnect();
    expect(starts.filter((t) => t >= t0 && t <= t1)).toEqual([]);
    // Requests went out on the inside port (to the NAT real server), replies on the outside one.
    expect(io1.sent).toBeGreaterThan(0);
    expect(io0.sent).toBeGreaterThan(0);
    expect(io0.sent + io1.sent - sent0).toBeGreaterThan(frames * 0.9);
    expect(dp.counters.oversize).toBe(0);
  }, 30_000);
});
