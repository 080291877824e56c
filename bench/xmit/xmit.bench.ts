// Per-packet cost of the packet layer and the transmitters, in batches of 256 frames as the I/O
// slab delivers them: parse alone, parse + DR, parse + NAT in, parse + NAT out, parse + TUN, and
// as the peer, NAT with the checksums recomputed from scratch instead of incrementally.
// Frames are restored from a template before each iteration (outside the timed window).
//   npm run build && node dist/bench/xmit/xmit.bench.js [--rounds 5] [--time 400]
// Prints one line per task: median over rounds of the per-round median, in ns per packet, and the
// allocation gate: garbage collections seen over 2^20 packets after warm-up and a full GC (0 when
// the path allocates nothing per packet).

import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { checksum, pseudoHeaderSum, rd32, wr16, wr32 } from '../../src/packet/checksum.js';
import { ipSendCheck } from '../../src/packet/ipv4.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame, PARSE_OK_IPV4 } from '../../src/packet/parse.js';
import { xmitRoute } from '../../src/xmit/dr.js';
import { xmitNatIn, xmitNatOut } from '../../src/xmit/nat.js';
import { xmitTunnel } from '../../src/xmit/tun.js';
import { BATCH, DIP, FRAME_LEN, HEADROOM, MACS, makeSlab, RIP, SLOT, VIP } from './frames.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const rounds = arg('--rounds', 5);
const timeMs = arg('--time', 400);

const inTemplate = makeSlab(false);
const outTemplate = makeSlab(true);
const slab = inTemplate.slice();
const d = new PacketDesc();
let sink = 0;

function restoreIn(): void {
  slab.set(inTemplate);
}
function restoreOut(): void {
  slab.set(outTemplate);
}

function parseOnly(): void {
  for (let i = 0; i < BATCH; i++) sink += parseFrame(d, slab, i * SLOT + HEADROOM, FRAME_LEN, 0);
}

function dr(): void {
  for (let i = 0; i < BATCH; i++) {
    if (parseFrame(d, slab, i * SLOT + HEADROOM, FRAME_LEN, 0) === PARSE_OK_IPV4) {
      sink += xmitRoute(d, MACS, 0, MACS, 6, 1500);
    }
  }
}

function natIn(): void {
  for (let i = 0; i < BATCH; i++) {
    if (parseFrame(d, slab, i * SLOT + HEADROOM, FRAME_LEN, 1) === PARSE_OK_IPV4) {
      sink += xmitNatIn(d, RIP, 8080, MACS, 0, MACS, 6, 1500);
    }
  }
}

function natOut(): void {
  for (let i = 0; i < BATCH; i++) {
    if (parseFrame(d, slab, i * SLOT + HEADROOM, FRAME_LEN, 1) === PARSE_OK_IPV4) {
      sink += xmitNatOut(d, VIP, 80, MACS, 0, MACS, 12, 1500);
    }
  }
}

function tun(): void {
  for (let i = 0; i < BATCH; i++) {
    if (parseFrame(d, slab, i * SLOT + HEADROOM, FRAME_LEN, 0) === PARSE_OK_IPV4) {
      sink += xmitTunnel(d, DIP, RIP, MACS, 0, MACS, 6, 1500);
    }
  }
}

// Peer: the straightforward NAT, recomputing both checksums over the whole header/segment.
function natInFull(): void {
  for (let i = 0; i < BATCH; i++) {
    if (parseFrame(d, slab, i * SLOT + HEADROOM, FRAME_LEN, 1) !== PARSE_OK_IPV4) continue;
    const b = d.buf;
    const l3 = d.l3Off;
    const l4 = d.l4Off;
    b[l3 + 8] = d.ttl - 1;
    wr32(b, l3 + 16, RIP);
    ipSendCheck(b, l3, d.ihl);
    wr16(b, l4 + 2, 8080);
    wr16(b, l4 + 16, 0);
    const l4len = d.ipLen - d.ihl;
    wr16(b, l4 + 16, checksum(b, l4, l4len, pseudoHeaderSum(rd32(b, l3 + 12), RIP, 6, l4len)));
    b.set(MACS.subarray(0, 12), d.off);
    sink += d.len;
  }
}

const tasks: [string, () => void, () => void][] = [
  ['parse', parseOnly, restoreIn],
  ['parse + DR', dr, restoreIn],
  ['parse + NAT in', natIn, restoreIn],
  ['parse + NAT out', natOut, restoreOut],
  ['parse + TUN', tun, restoreIn],
  ['peer: parse + NAT in, full checksum recompute', natInFull, restoreIn],
];

const perRound = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  for (const [name, fn, before] of tasks) bench.add(name, fn, { beforeEach: before });
  await bench.run();
  for (const t of bench.tasks) {
    const res = t.result as { latency?: { p50?: number } } | undefined;
    const p50 = res?.latency?.p50;
    if (p50 === undefined) throw new Error(`task ${t.name} has no result`);
    const list = perRound.get(t.name) ?? [];
    list.push((p50 * 1e6) / BATCH);
    perRound.set(t.name, list);
  }
}

setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

/** GCs observed while fn handles 2^20 packets (4096 batches), after warm-up and a full GC. */
async function countGcs(fn: () => void, before: () => void): Promise<number> {
  for (let k = 0; k < 200; k++) {
    before();
    fn();
  }
  fullGc();
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  for (let k = 0; k < 4096; k++) {
    before();
    fn();
  }
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return gcs;
}

const gcCounts = new Map<string, number>();
for (const [name, fn, before] of tasks) gcCounts.set(name, await countGcs(fn, before));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

console.log(`xmit bench: ${rounds} rounds x ${timeMs} ms, batch ${BATCH}, ${FRAME_LEN}-byte TCP frames (sink ${sink > 0 ? 'ok' : 0})`);
for (const [name] of tasks) {
  const xs = perRound.get(name)!;
  console.log(`${name.padEnd(48)} ${median(xs).toFixed(1).padStart(7)} ns/packet   GCs/1M: ${gcCounts.get(name)}   rounds: ${xs.map((x) => x.toFixed(1)).join(' ')}`);
}
