// New-connection scheduling cost: schedule() alone, per scheduler, on a service of 16 dests with
// mixed weights and loads, for a stream of varying clients (1024 source addresses and ports,
// 256 destination addresses so lblc/lblcr look up real table entries). Each task call runs one
// batch of 1024 schedule() calls; figures are ns per schedule(): the median over several runs
// of tinybench's per-run median. The peer in the same run is the floor any scheduler pays: a
// plain array pick (`dests[i & 15]`) through the same loop. A GC column counts garbage
// collections over 1M schedule() calls after warm-up (0 means the hot path did not allocate
// enough to trigger a scavenge).
//   npm run build && node dist/bench/sched/schedule.bench.js [--runs 5] [--time 300] [--json] [--markdown] [NAME...]

import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { Bench } from 'tinybench';
import { Clock } from '../../src/engine/clock.js';
import { Dest } from '../../src/engine/dest.js';
import type { Service } from '../../src/engine/service.js';
import { IPPROTO_TCP } from '../../src/model/constants.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { addDest, createService } from '../../src/sched/dest-list.js';
import { ALGORITHM_NAMES, getScheduler } from '../../src/sched/registry.js';

export const DESTS = 16;
export const BATCH = 1024;
const CLIENTS = 1024;
const VIPS = 256;

export interface SchedRow {
  name: string;
  /** Median over runs of the per-run median, ns per schedule(). */
  nsPerOp: number;
  /** Each run's median, ns per schedule(). */
  perRun: number[];
  /** Non-null answers in the last batch (sanity: the scheduler really picks). */
  hits: number;
  /** GCs observed over 1M schedule() calls after warm-up (-1: not measured). */
  gcs: number;
}

export interface SchedBenchOptions {
  names: readonly string[];
  runs: number;
  timeMs: number;
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** A service of DESTS dests added one by one (weights 1..4, loads varied) under `name`. */
export function benchService(name: string): Service {
  const sched = getScheduler(name);
  if (!sched) throw new Error(`unknown scheduler ${name}`);
  const svc = createService(1, IPPROTO_TCP, 0xc0a80001, 80, 0, sched, xorshift(0x9e3779b9), new Clock(0));
  for (let i = 0; i < DESTS; i++) {
    const d = new Dest(i + 1, 0x0a000001 + i, 80, 1 + (i % 4));
    addDest(svc, d);
    // loads that keep every dest eligible for ovf (active <= weight) yet differ for *lc
    d.activeConns = i % (d.weight + 1);
    d.inactConns = (i * 7) % 13;
  }
  return svc;
}

function makeClients(): { saddr: Uint32Array; sport: Uint16Array; daddr: Uint32Array } {
  const rnd = xorshift(12345);
  const saddr = new Uint32Array(CLIENTS);
  const sport = new Uint16Array(CLIENTS);
  const daddr = new Uint32Array(CLIENTS);
  for (let i = 0; i < CLIENTS; i++) {
    saddr[i] = rnd();
    sport[i] = 1024 + (rnd() % 60000);
    daddr[i] = 0xc0a80100 + (i % VIPS);
  }
  return { saddr, sport, daddr };
}

/** One batch of BATCH schedule() calls with varying clients; returns the number of non-null answers. */
function makeBatch(svc: Service, clients: ReturnType<typeof makeClients>): () => number {
  const pkt = new PacketDesc();
  pkt.proto = IPPROTO_TCP;
  pkt.dport = 80;
  const sched = svc.scheduler;
  const { saddr, sport, daddr } = clients;
  let k = 0;
  return () => {
    let hits = 0;
    for (let i = 0; i < BATCH; i++) {
      const j = k++ & (CLIENTS - 1);
      pkt.saddr = saddr[j];
      pkt.sport = sport[j];
      pkt.daddr = daddr[j];
      if (sched.schedule(svc, svc.schedState, pkt) !== null) hits++;
    }
    return hits;
  };
}

/** The peer: the same loop with a plain array pick in place of schedule(). */
function makeBaseline(svc: Service, clients: ReturnType<typeof makeClients>): () => number {
  const pkt = new PacketDesc();
  const { saddr, sport, daddr } = clients;
  const dests = svc.dests;
  let k = 0;
  return () => {
    let hits = 0;
    for (let i = 0; i < BATCH; i++) {
      const j = k++ & (CLIENTS - 1);
      pkt.saddr = saddr[j];
      pkt.sport = sport[j];
      pkt.daddr = daddr[j];
      if (dests[(pkt.saddr ^ i) & (DESTS - 1)] !== null) hits++;
    }
    return hits;
  };
}

// A full collection before each count, so garbage left by tinybench does not show up as ours.
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

async function countGcs(fn: () => number, calls: number): Promise<number> {
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  for (let i = 0; i < 50; i++) fn(); // warm-up
  fullGc();
  await new Promise((r) => setTimeout(r, 20));
  obs.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < calls / BATCH; i++) fn();
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  return gcs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const BASELINE = 'peer: dests[i & 15]';

export async function measureSchedulers(opts: SchedBenchOptions): Promise<SchedRow[]> {
  const clients = makeClients();
  const tasks: Array<{ name: string; fn: () => number }> = [];
  for (const name of opts.names) tasks.push({ name, fn: makeBatch(benchService(name), clients) });
  tasks.push({ name: BASELINE, fn: makeBaseline(benchService('rr'), clients) });
  const perRun = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  let sink = 0;
  for (let r = 0; r < opts.runs; r++) {
    const bench = new Bench({ time: opts.timeMs, warmupTime: 50 });
    for (const t of tasks) bench.add(t.name, () => { sink += t.fn(); });
    await bench.run();
    for (const task of bench.tasks) {
      const res = task.result;
      if (res.state !== 'completed') throw new Error(`${task.name}: ${res.state}`);
      perRun.get(task.name)!.push((res.latency.p50 * 1e6) / BATCH);
    }
  }
  const rows: SchedRow[] = [];
  for (const t of tasks) {
    const runs = perRun.get(t.name)!;
    rows.push({ name: t.name, nsPerOp: median(runs), perRun: runs, hits: t.fn(), gcs: await countGcs(t.fn, 1 << 20) });
  }
  if (sink === -1) process.stdout.write(''); // keep the results observable
  return rows;
}

export function formatTable(rows: readonly SchedRow[], markdown: boolean): string {
  const head = ['scheduler', 'ns/op (median)', 'runs (ns/op)', `hits/${BATCH}`, 'GCs per 1M'];
  const body = rows.map((r) => [
    r.name,
    r.nsPerOp.toFixed(1),
    r.perRun.map((x) => x.toFixed(1)).join(' '),
    String(r.hits),
    String(r.gcs),
  ]);
  if (markdown) {
    return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

const USAGE = 'usage: uvs bench sched [--runs N] [--time MS] [--json] [--markdown] [SCHEDULER...]';

/** `uvs bench sched ...` / `node dist/bench/sched/schedule.bench.js ...`: prints a table. */
export async function run(argv: string[]): Promise<number> {
  const opts: SchedBenchOptions = { names: ALGORITHM_NAMES, runs: 5, timeMs: 300 };
  let json = false;
  let markdown = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs' || a === '--time') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) {
        process.stderr.write(`uvs bench sched: ${a} needs a positive integer\n${USAGE}\n`);
        return 2;
      }
      if (a === '--runs') opts.runs = v;
      else opts.timeMs = v;
    } else if (a === '--json') json = true;
    else if (a === '--markdown') markdown = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    } else if (getScheduler(a) !== null) names.push(a);
    else {
      process.stderr.write(`uvs bench sched: unknown scheduler or option '${a}'\n${USAGE}\n`);
      return 2;
    }
  }
  if (names.length) opts.names = names;
  const rows = await measureSchedulers(opts);
  if (json) process.stdout.write(JSON.stringify({ dests: DESTS, batch: BATCH, runs: opts.runs, timeMs: opts.timeMs, rows }) + '\n');
  else {
    process.stdout.write(`schedule() cost, ${DESTS} dests, varying clients, ${opts.runs} runs x ${opts.timeMs} ms (node ${process.version})\n`);
    process.stdout.write(formatTable(rows, markdown) + '\n');
  }
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (invokedDirectly) {
  run(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
