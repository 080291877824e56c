// Control-plane costs of the ipvsadm model (src/control): what one `uvsadm` command, a health
// check flipping a dest, a listing, a save/restore and a keepalived.conf load cost on a table of
// S services x D dests (default 100 x 10). Figures are ms per operation: the median over runs of
// tinybench's per-run median. Real ipvsadm cannot run here (no ip_vs module in this sandbox), so
// the peer in the same run is the floor every table change pays to reach the datapath: one
// structuredClone of the whole table (what onChange hands to listeners), and JSON.stringify of it.
//   npm run build && node dist/bench/control/control.bench.js [--services 100] [--dests 10] [--runs 5] [--time 300] [--json]

import { Bench } from 'tinybench';
import { ControlModel, NO_STATS } from '../../src/control/model.js';
import { StaticResolver } from '../../src/control/names.js';
import { loadKeepalivedText } from '../../src/control/keepalived/config.js';
import { applyKeepalived } from '../../src/control/keepalived/apply.js';

interface Opts {
  services: number;
  dests: number;
  runs: number;
  time: number;
  json: boolean;
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = { services: 100, dests: 10, runs: 5, time: 300, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--services') o.services = Number(argv[++i]);
    else if (a === '--dests') o.dests = Number(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--time') o.time = Number(argv[++i]);
  }
  return o;
}

const vip = (s: number): string => `10.${(s >> 8) & 255}.${s & 255}.1`;
const rip = (s: number, d: number): string => `172.16.${s & 255}.${d + 2}`;

function rules(o: Opts): string {
  let t = '';
  for (let s = 0; s < o.services; s++) {
    t += `-A -t ${vip(s)}:80 -s wlc\n`;
    for (let d = 0; d < o.dests; d++) t += `-a -t ${vip(s)}:80 -r ${rip(s, d)}:80 -m -w 1\n`;
  }
  return t;
}

function keepalived(o: Opts): string {
  let t = '';
  for (let s = 0; s < o.services; s++) {
    t += `virtual_server ${vip(s)} 80 {\n  delay_loop 6\n  lb_algo wlc\n  lb_kind NAT\n  protocol TCP\n`;
    for (let d = 0; d < o.dests; d++) t += `  real_server ${rip(s, d)} 80 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n`;
    t += '}\n';
  }
  return t;
}

function model(o: Opts, listener: boolean): ControlModel {
  const m = new ControlModel({ names: new StaticResolver() });
  m.execute(['-R'], rules(o), NO_STATS);
  if (listener) m.onChange(() => undefined);
  return m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const plain = model(o, false);
  const watched = model(o, true);
  const saved = plain.execute(['-S', '-n'], '', NO_STATS).stdout;
  const ka = keepalived(o);
  const mid = Math.floor(o.services / 2);
  let flip = 0;
  const edit = (m: ControlModel) => () => {
    flip ^= 1;
    const r = m.execute(['-e', '-t', `${vip(mid)}:80`, '-r', `${rip(mid, 3)}:80`, '-m', '-w', String(1 + flip)], '', NO_STATS);
    if (r.code !== 0) throw new Error(r.stderr);
  };
  const tasks: Array<[string, () => void]> = [
    ['-e (weight change), no listener', edit(plain)],
    ['-e (weight change), with onChange listener', edit(watched)],
    ['-d then -a (health flap), with listener', () => {
      watched.execute(['-d', '-t', `${vip(mid)}:80`, '-r', `${rip(mid, 4)}:80`], '', NO_STATS);
      watched.execute(['-a', '-t', `${vip(mid)}:80`, '-r', `${rip(mid, 4)}:80`, '-m'], '', NO_STATS);
    }],
    ['-L -n (whole table)', () => void plain.execute(['-L', '-n'], '', NO_STATS)],
    ['-S -n (whole table)', () => void plain.execute(['-S', '-n'], '', NO_STATS)],
    ['-C then -R of the -S output', () => {
      const m = new ControlModel({ names: new StaticResolver() });
      m.execute(['-R'], saved, NO_STATS);
    }],
    ['keepalived.conf load + apply', () => {
      const cfg = loadKeepalivedText(ka, 'bench.conf', { readFile: () => '', glob: () => [] });
      applyKeepalived(new ControlModel({ names: new StaticResolver() }), cfg, NO_STATS);
    }],
    ['peer: structuredClone(table)', () => void structuredClone(plain.current)],
    ['peer: JSON.stringify(table)', () => void JSON.stringify(plain.current)],
  ];
  const perRun = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
  for (let r = 0; r < o.runs; r++) {
    const bench = new Bench({ time: o.time, warmupTime: 50 });
    for (const [n, fn] of tasks) bench.add(n, fn);
    await bench.run();
    for (const t of bench.tasks) {
      if (t.result.state !== 'completed') throw new Error(`${t.name}: ${t.result.state}`);
      perRun.get(t.name)!.push(t.result.latency.p50);
    }
  }
  const rows = tasks.map(([n]) => ({ task: n, msMedian: median(perRun.get(n)!), runs: perRun.get(n)! }));
  if (o.json) {
    process.stdout.write(JSON.stringify({ services: o.services, dests: o.dests, rows }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`table: ${o.services} services x ${o.dests} dests (${saved.split('\n').length - 1} rules lines, keepalived.conf ${ka.length} bytes)\n`);
  process.stdout.write('| task | ms/op (median) | runs (ms/op) |\n|---|---|---|\n');
  for (const r of rows) process.stdout.write(`| ${r.task} | ${r.msMedian.toFixed(4)} | ${r.runs.map((x) => x.toFixed(4)).join(' ')} |\n`);
}

await main();
