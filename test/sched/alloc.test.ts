// Allocation gate for the new-connection hot path: after warm-up, 1M schedule() calls per
// scheduler must not trigger a garbage collection. A positive control (a loop that allocates)
// shows the gate can fail. Client addresses stay below 2^31 here so that the harness's own
// PacketDesc writes do not allocate (a u32 above 2^31 stored in an object field is boxed).

import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Clock } from '../../src/engine/clock.js';
import { Dest } from '../../src/engine/dest.js';
import { IPPROTO_TCP } from '../../src/model/constants.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { addDest, createService } from '../../src/sched/dest-list.js';
import { ALGORITHM_NAMES, getScheduler } from '../../src/sched/registry.js';

setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

async function gcsDuring(fn: () => number, batches: number): Promise<number> {
  for (let i = 0; i < 100; i++) fn();
  let gcs = 0;
  const obs = new PerformanceObserver((list) => { gcs += list.getEntries().length; });
  fullGc();
  await new Promise((r) => setTimeout(r, 10));
  obs.observe({ entryTypes: ['gc'] });
  let sink = 0;
  for (let i = 0; i < batches; i++) sink += fn();
  await new Promise((r) => setTimeout(r, 10));
  obs.disconnect();
  expect(sink).toBeGreaterThan(0);
  return gcs;
}

function batchFor(name: string): () => number {
  let s = 0x2545f491;
  const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
  const svc = createService(1, IPPROTO_TCP, 0x0a640001, 80, 0, getScheduler(name)!, rnd, new Clock(0));
  for (let i = 0; i < 16; i++) {
    const d = new Dest(i + 1, 0x0a000001 + i, 80, 1 + (i % 4));
    addDest(svc, d);
    d.activeConns = i % (d.weight + 1);
    d.inactConns = i % 5;
  }
  const p = new PacketDesc();
  p.proto = IPPROTO_TCP;
  let k = 0;
  return () => {
    let hits = 0;
    for (let i = 0; i < 1024; i++) {
      k = (k + 1) & 0xffff;
      p.saddr = 0x0b000000 + k * 977;
      p.sport = 1024 + (k & 0x7fff);
      p.daddr = 0x0c000000 + (k & 255);
      if (svc.scheduler.schedule(svc, svc.schedState, p) !== null) hits++;
    }
    return hits;
  };
}

describe('schedule() does not allocate', () => {
  it('positive control: an allocating loop is caught', async () => {
    const keep: object[] = [];
    const alloc = () => { for (let i = 0; i < 1024; i++) keep[i & 7] = { i }; return keep.length; };
    expect(await gcsDuring(alloc, 1024)).toBeGreaterThan(0);
  });

  for (const name of ALGORITHM_NAMES) {
    it(name, async () => {
      expect(await gcsDuring(batchFor(name), 1024)).toBe(0);
    });
  }
});
