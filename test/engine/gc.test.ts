// Allocation gate as a test: after warm-up, 1,000,000 frames through the engine (established DR,
// new conns scheduled by wlc with timer expiry, NAT replies) cause no garbage collection.
// GC entries are taken from a PerformanceObserver and only those starting inside the loop count.
import { describe, expect, it } from 'vitest';
import { prepareGcGate } from '../../bench/engine/gc.bench.js';

describe('engine allocation gate', () => {
  it('1,000,000 packets, zero GC events', async () => {
    const r = await prepareGcGate(1000)(1_000_000);
    expect(r.packets).toBeGreaterThanOrEqual(1_000_000);
    expect(r.gcEvents, `GC kinds: ${r.kinds.join(',')}`).toBe(0);
  }, 20_000);
});
