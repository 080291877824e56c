// Allocation gate for the per-packet path: after warm-up, parse + every transmitter over many
// frames must not grow the JS heap. A control loop that does allocate proves the probe can see it.
import { describe, expect, it } from 'vitest';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame } from '../../src/packet/parse.js';
import { IcmpEmbedded, parseIcmpError } from '../../src/packet/icmp.js';
import { xmitRoute } from '../../src/xmit/dr.js';
import { xmitTunnel } from '../../src/xmit/tun.js';
import { xmitNatIn, xmitNatOut } from '../../src/xmit/nat.js';
import { buildIcmpError, icmpNatIn } from '../../src/xmit/icmp-error.js';
import { eth, icmpQuote } from '../helpers/frame-builder.js';

const mac = Uint8Array.of(2, 0, 0, 0, 0, 1);
const SLOT = 256;
const HEAD = 64;
const frames = [
  eth().ipv4({ src: '192.0.2.10', dst: '10.0.0.100', ttl: 255, df: true }).tcp({ sport: 1000, dport: 80 }).payload(6).build(),
  eth().ipv4({ src: '192.0.2.10', dst: '10.0.0.100', ttl: 255 }).udp({ sport: 1000, dport: 53 }).payload(20).build(),
  eth().ipv4({ src: '198.51.100.1', dst: '10.0.0.100', ttl: 255 }).icmp({ type: 3, code: 4, mtu: 1400 })
    .payload(icmpQuote(eth().ipv4({ src: '10.0.0.100', dst: '192.0.2.10' }).tcp({ sport: 80, dport: 1000 }).build())).build(),
];
const template = new Uint8Array(frames.length * SLOT);
frames.forEach((f, i) => template.set(f, i * SLOT + HEAD));
const slab = template.slice();
const out = new Uint8Array(256);
const d = new PacketDesc();
const e = new IcmpEmbedded();

function onePass(): number {
  let s = 0;
  slab.set(template);
  for (let i = 0; i < frames.length; i++) {
    const len = frames[i]!.length;
    for (let which = 0; which < 6; which++) {
      parseFrame(d, slab, i * SLOT + HEAD, len, 0);
      if (which === 0) s += xmitRoute(d, mac, 0, mac, 0, 1500);
      else if (which === 1) s += xmitNatIn(d, 1, 2, mac, 0, mac, 0, 1500);
      else if (which === 2) s += xmitNatOut(d, 1, 2, mac, 0, mac, 0, 1500);
      else if (which === 3) s += buildIcmpError(out, 0, d, 3, 3, 0, 5, mac, 0, mac, 0);
      else if (which === 4 && d.proto === 1 && parseIcmpError(e, d) === 0) s += icmpNatIn(d, e, 1, 2, mac, 0, mac, 0);
      else if (which === 5) {
        s += xmitTunnel(d, 1, 2, mac, 0, mac, 0, 1500);
        slab.set(template);
      }
    }
  }
  return s;
}

// A full GC before each measurement, so that no collection of older garbage lands inside the
// measured loop and hides an allocation (the usual --expose-gc trick, without the CLI flag).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapGrowth(fn: () => number, passes: number): number {
  let sink = 0;
  gc();
  // Re-warm after the collection (it may drop compiled code), then measure.
  for (let k = 0; k < 500; k++) sink += fn();
  const before = getHeapStatistics().used_heap_size;
  for (let k = 0; k < passes; k++) sink += fn();
  const after = getHeapStatistics().used_heap_size;
  expect(Number.isFinite(sink)).toBe(true);
  return after - before;
}

describe('allocation', () => {
  it('parse and the transmitters allocate nothing per packet', () => {
    for (let k = 0; k < 3000; k++) onePass(); // warm-up: let the optimizing compiler settle
    const passes = 20000;
    const ops = passes * 18;
    // Control: one small object per pass must be visible to the probe.
    const keep: object[] = [];
    const control = heapGrowth(() => keep.push({ a: keep.length }), passes);
    expect(control).toBeGreaterThan(passes * 16);
    // A negative growth means a collection still ran inside the loop: measure again (bounded).
    // One boxed number per packet would be ≥ 12 bytes/op; allow under 1 byte/op of noise.
    let growth = -1;
    for (let attempt = 0; attempt < 5 && growth < 0; attempt++) growth = heapGrowth(onePass, passes);
    expect(growth, `heap grew ${growth} bytes over ${ops} packet operations`).toBeGreaterThanOrEqual(0);
    expect(growth, `heap grew ${growth} bytes over ${ops} packet operations`).toBeLessThan(ops);
  });
});
