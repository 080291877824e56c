// Per-packet cost of the whole engine pipeline (parse + classify/lookup + state + transmit), in
// batches of 256 frames as the I/O slab delivers them:
//   • established flows: DR, NAT in, NAT out (replies), TUN;
//   • a new TCP conn (SYN → schedule → conn → DR) for every scheduler, 16 dests;
//   • the conn lookup alone at 1,000,000 conns: ConnTable vs the peer, a Map keyed by a string of
//     the 5-tuple (the straightforward JS implementation), in the same run, with the ratio.
// Frames are restored from a template before each iteration (outside the timed window).
//   npm run build && node dist/bench/engine/engine.bench.js [--rounds 5] [--time 300] [--lookup-conns 1000000] [--filter SUBSTR] [--quick]
// Prints the median over rounds of each round's median, in ns per packet.

import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { ConnTable } from '../../src/conn/table.js';
import type { Engine } from '../../src/engine/engine.js';
import type { FwdMethod } from '../../src/model/constants.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { ALGORITHM_NAMES } from '../../src/sched/registry.js';
import {
  argNum, BATCH, clientOf, clientSlab, F_ACK, F_SYN, HEADROOM, makeEngine, median, replySlab, runSlab, SLOT, VIP,
} from './setup.js';

export interface BenchLine {
  name: string;
  nsPerPacket: number;
  rounds: number[];
}

interface Task {
  name: string;
  fn: () => void;
  before?: () => void;
  after?: () => void;
}

let sink = 0;

function established(fwd: FwdMethod): { engine: Engine; d: PacketDesc; inTpl: Uint8Array; outTpl: Uint8Array } {
  const { engine } = makeEngine(fwd, 'rr');
  const d = new PacketDesc();
  runSlab(engine, d, clientSlab(F_SYN));
  runSlab(engine, d, clientSlab(F_ACK));
  const t = engine.conns.table;
  const outTpl = replySlab((i) => {
    const [c, p] = clientOf(i);
    const cp = t.lookupIn(6, c, p, VIP, 80);
    return [t.daddr[cp]!, t.dport[cp]!];
  });
  return { engine, d, inTpl: clientSlab(F_ACK), outTpl };
}

function flowTasks(): Task[] {
  const tasks: Task[] = [];
  for (const [label, fwd] of [['DR', 'Route'], ['TUN', 'Tunnel'], ['NAT in', 'Masq']] as const) {
    const { engine, d, inTpl } = established(fwd);
    const slab = inTpl.slice();
    tasks.push({ name: `established ${label}`, fn: () => { sink += runSlab(engine, d, slab); }, before: () => slab.set(inTpl) });
    if (fwd === 'Masq') {
      const e2 = established(fwd);
      const oslab = e2.outTpl.slice();
      tasks.push({ name: 'established NAT out (replies)', fn: () => { sink += runSlab(e2.engine, e2.d, oslab, 1); }, before: () => oslab.set(e2.outTpl) });
    }
  }
  return tasks;
}

/** Established DR over FLOWS conns (256 slabs rotated), so the conn table is not all in cache. */
function manyFlowsTask(flows: number): Task {
  const { engine } = makeEngine('Route', 'rr', flows * 2);
  const d = new PacketDesc();
  const slabs = flows / BATCH;
  const tpls: Uint8Array[] = [];
  for (let k = 0; k < slabs; k++) {
    runSlab(engine, d, clientSlab(F_SYN, k * BATCH));
    const ack = clientSlab(F_ACK, k * BATCH);
    runSlab(engine, d, ack.slice());
    tpls.push(ack);
  }
  const slab = new Uint8Array(tpls[0]!.length);
  let k = 0;
  return {
    name: `established DR (${flows} flows)`,
    fn: () => { sink += runSlab(engine, d, slab); },
    before: () => { k = (k + 1) % slabs; slab.set(tpls[k]!); },
  };
}

function newConnTasks(scheds: readonly string[]): Task[] {
  const tasks: Task[] = [];
  for (const sched of scheds) {
    const { engine, clock } = makeEngine('Route', sched);
    const d = new PacketDesc();
    const tpl = clientSlab(F_SYN);
    const slab = tpl.slice();
    let gen = 0;
    tasks.push({
      name: `new conn (SYN + schedule) ${sched}`,
      fn: () => { sink += runSlab(engine, d, slab); },
      before: () => {
        slab.set(tpl);
        // a fresh client port for every frame of every iteration
        gen = (gen + 1) & 0x3f;
        for (let i = 0; i < BATCH; i++) {
          const o = i * SLOT + HEADROOM + 34;
          const p = 1024 + gen * 1000 + (i >>> 8) + (i & 0xff);
          slab[o] = p >>> 8;
          slab[o + 1] = p & 255;
        }
      },
      after: () => {
        // SYN_RECV conns live 60 s: move time on and let the wheel free them (not timed).
        clock.nowMs += 61_000;
        engine.tick();
      },
    });
  }
  return tasks;
}

/** The peer: a Map from "proto|caddr|cport|vaddr|vport" to the conn index. */
export class MapConnTable {
  readonly map = new Map<string, number>();
  insert(proto: number, caddr: number, cport: number, vaddr: number, vport: number, v: number): void {
    this.map.set(`${proto}|${caddr}|${cport}|${vaddr}|${vport}`, v);
  }
  lookupIn(proto: number, caddr: number, cport: number, vaddr: number, vport: number): number {
    return this.map.get(`${proto}|${caddr}|${cport}|${vaddr}|${vport}`) ?? -1;
  }
}

function lookupTasks(n: number): Task[] {
  const t = new ConnTable(n, 1);
  const m = new MapConnTable();
  for (let i = 0; i < n; i++) {
    const c = (0xc0000000 + (i >>> 6)) >>> 0, p = 1024 + (i & 63);
    const k = t.alloc();
    t.setProto(k, 6); t.caddr[k] = c; t.cport[k] = p; t.vaddr[k] = VIP; t.vport[k] = 80;
    t.link(k);
    m.insert(6, c, p, VIP, 80, k);
  }
  // BATCH pseudo-random existing keys per iteration
  const keysC = new Uint32Array(BATCH * 64), keysP = new Uint16Array(BATCH * 64);
  let x = 12345;
  for (let i = 0; i < keysC.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % n;
    keysC[i] = (0xc0000000 + (j >>> 6)) >>> 0;
    keysP[i] = 1024 + (j & 63);
  }
  let r = 0;
  return [
    { name: `conn lookup, ConnTable (${n} conns)`, fn: () => {
      const base = (r = (r + 1) & 63) * BATCH;
      for (let i = 0; i < BATCH; i++) sink += t.lookupIn(6, keysC[base + i]!, keysP[base + i]!, VIP, 80);
    } },
    { name: `peer: conn lookup, Map<string> (${n} conns)`, fn: () => {
      const base = (r = (r + 1) & 63) * BATCH;
      for (let i = 0; i < BATCH; i++) sink += m.lookupIn(6, keysC[base + i]!, keysP[base + i]!, VIP, 80);
    } },
  ];
}

export async function runEngineBench(argv: string[]): Promise<BenchLine[]> {
  const quick = argv.includes('--quick');
  const rounds = argNum(argv, '--rounds', quick ? 1 : 5);
  const timeMs = argNum(argv, '--time', quick ? 100 : 300);
  const lookupN = argNum(argv, '--lookup-conns', quick ? 100_000 : 1_000_000);
  const fi = argv.indexOf('--filter');
  const filter = fi >= 0 ? argv[fi + 1] ?? '' : '';
  const wantLookup = !filter || 'conn lookup'.includes(filter) || filter.includes('lookup');
  const wantMany = !filter || 'established DR (65536 flows)'.includes(filter);
  const all = [...flowTasks(), ...(wantMany ? [manyFlowsTask(quick ? 4096 : 65536)] : []), ...newConnTasks(ALGORITHM_NAMES), ...(wantLookup ? lookupTasks(lookupN) : [])];
  const tasks = all.filter((t) => !filter || t.name.includes(filter));
  const per = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time: timeMs, warmupTime: 100 });
    for (const t of tasks) bench.add(t.name, t.fn, { beforeEach: t.before, afterEach: t.after });
    await bench.run();
    for (const t of bench.tasks) {
      const res = t.result as { latency?: { p50?: number } } | undefined;
      const p50 = res?.latency?.p50;
      if (p50 === undefined) throw new Error(`task ${t.name} has no result`);
      const list = per.get(t.name) ?? [];
      list.push((p50 * 1e6) / BATCH);
      per.set(t.name, list);
    }
  }
  return tasks.map((t) => ({ name: t.name, nsPerPacket: median(per.get(t.name)!), rounds: per.get(t.name)! }));
}

export function printLines(lines: BenchLine[]): void {
  for (const l of lines) console.log(`${l.name.padEnd(48)} ${l.nsPerPacket.toFixed(1).padStart(8)} ns/packet   rounds: ${l.rounds.map((x) => x.toFixed(1)).join(' ')}`);
  const a = lines.find((l) => l.name.startsWith('conn lookup, ConnTable'));
  const b = lines.find((l) => l.name.startsWith('peer: conn lookup'));
  if (a && b) console.log(`lookup ratio (Map<string> / ConnTable): ${(b.nsPerPacket / a.nsPerPacket).toFixed(1)}x`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const lines = await runEngineBench(argv);
  console.log(`engine bench: batch ${BATCH}, 16 dests (sink ${sink !== 0 ? 'ok' : 0})`);
  printLines(lines);
}
