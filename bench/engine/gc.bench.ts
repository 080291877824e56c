// Allocation gate: after warm-up, 1,000,000 frames through the engine (established DR flows, new
// conns scheduled by wlc, NAT replies, and timer-wheel expiry between batches) must cause zero
// garbage collections. GC events are counted with a PerformanceObserver on 'gc' entries whose
// start falls inside the measured loop.
//   npm run build && node dist/bench/engine/gc.bench.js [--packets 1000000]
// Exit status 1 when any GC happened.

import { PerformanceObserver, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { argNum, BATCH, clientOf, clientSlab, F_ACK, F_SYN, HEADROOM, makeEngine, runSlab, SLOT, VIP, replySlab } from './setup.js';

export interface GcResult {
  packets: number;
  gcEvents: number;
  kinds: string[];
  ms: number;
}

/** Build the workload once; the returned function runs `packets` frames and reports GCs. */
export function prepareGcGate(warmBatches = 3000): (packets: number) => Promise<GcResult> {
  const dr = makeEngine('Route', 'wlc');
  const nat = makeEngine('Masq', 'rr');
  const d = new PacketDesc();
  const ackTpl = clientSlab(F_ACK);
  runSlab(dr.engine, d, clientSlab(F_SYN));
  runSlab(dr.engine, d, ackTpl.slice());
  runSlab(nat.engine, d, clientSlab(F_SYN));
  const t = nat.engine.conns.table;
  const replyTpl = replySlab((i) => {
    const [c, p] = clientOf(i);
    const cp = t.lookupIn(6, c, p, VIP, 80);
    return [t.daddr[cp]!, t.dport[cp]!];
  });
  const synTpl = clientSlab(F_SYN, 1 << 16);
  const slab = new Uint8Array(ackTpl.length);
  let gen = 0;

  function batch(k: number): void {
    const kind = k % 3;
    if (kind === 0) {
      slab.set(ackTpl);
      runSlab(dr.engine, d, slab);
    } else if (kind === 1) {
      slab.set(synTpl);
      gen = (gen + 1) & 0x3f;
      for (let i = 0; i < BATCH; i++) {
        const o = i * SLOT + HEADROOM + 34;
        const p = 1024 + gen * 1000 + (i & 0xff);
        slab[o] = p >>> 8;
        slab[o + 1] = p & 255;
      }
      runSlab(dr.engine, d, slab);
      // let the new conns age out: a tick on each engine every few batches
      dr.clock.nowMs += 1_000;
      dr.engine.tick();
    } else {
      slab.set(replyTpl);
      runSlab(nat.engine, d, slab, 1);
      nat.clock.nowMs += 10;
      nat.engine.tick();
    }
  }

  return async (packets: number): Promise<GcResult> => {
    const batches = Math.ceil(packets / BATCH);
    for (let k = 0; k < warmBatches; k++) batch(k);
    const entries: Array<{ start: number; kind: string }> = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) entries.push({ start: e.startTime, kind: String((e as unknown as { detail?: { kind?: number } }).detail?.kind ?? e.name) });
    });
    obs.observe({ entryTypes: ['gc'] });
    await new Promise((r) => setImmediate(r));
    const t0 = performance.now();
    for (let k = 0; k < batches; k++) batch(k);
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    const inLoop = entries.filter((e) => e.start >= t0 && e.start <= t1);
    return { packets: batches * BATCH, gcEvents: inLoop.length, kinds: inLoop.map((e) => e.kind), ms: t1 - t0 };
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const packets = argNum(process.argv, '--packets', 1_000_000);
  const r = await prepareGcGate()(packets);
  console.log(`gc gate: ${r.packets} packets in ${r.ms.toFixed(0)} ms (${((r.ms * 1e6) / r.packets).toFixed(0)} ns/packet incl. refills), GC events during the loop: ${r.gcEvents}${r.gcEvents ? ` (kinds ${r.kinds.join(',')})` : ''}`);
  process.exitCode = r.gcEvents === 0 ? 0 : 1;
}
