// `uvs bench lab`: end-to-end HTTP through the lab's namespaces, uvs and its peers in one run.
// wrk runs in the client namespace against:
//   direct        one real server's RIP, no balancer (DR lab without director)
//   uvs DR/NAT/TUN   `uvs run` as director in the lab of that mode (TUN: real servers decapsulate
//                 in userspace when the kernel has no ipip, which this machine's kernel lacks)
//   nftables DNAT, HAProxy (tcp), Node net proxy   in the director namespace of a NAT lab
// Each over 2 real servers (rr), for 4 workloads: 100-byte and 100 KB bodies, keep-alive and one
// connection per request. All labs are up at once and the runs interleave (run → workload → cell);
// per cell and workload: `--runs` runs of `--duration` s (a 1 s warm-up before the first); the
// median requests/s, p50, p99, the director process's CPU (% of one core) and the machine's CPU.
// Figures go to bench/RESULTS.md, section "## Lab end to end" (replaced in place), unless --no-write.
//
// uvs bench lab [--duration 5] [--runs 3] [--only direct,uvs-dr,...] [--workloads small-ka,...] [--threads 2] [--connections 64] [--no-write]

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { up, down, labPaths, defaultUpOptions, daemonAvailable, REPO_ROOT, type LabState } from '../netns-lab/lab.js';
import { run as runCmd } from '../netns-lab/exec.js';
import type { LabMode } from '../netns-lab/topology/index.js';
import { runWrk, type WrkResult } from './lab/wrk.js';
import { startHaproxy, startNftDnat, startNodeProxy, type Peer } from './lab/peers.js';
import { removeLabNow } from './lab/remove-lab-now.js';
import { teardownOnExit } from './teardown-on-exit.js';

const PORT = 80;

/** The labs of one run, all up at once so that the cells' runs can be interleaved. */
type LabKey = 'dr' | 'nat' | 'tun' | 'peer';
const LABS: Record<LabKey, { name: string; mode: LabMode; director: boolean }> = {
  dr: { name: 'uvs-b-dr', mode: 'dr', director: true },
  nat: { name: 'uvs-b-nat', mode: 'nat', director: true },
  tun: { name: 'uvs-b-tun', mode: 'tun', director: true },
  // The peers' lab: NAT topology (real servers routed via the director), no uvs.
  peer: { name: 'uvs-b-peer', mode: 'nat', director: false },
};

interface Cell {
  id: string;
  label: string;
  lab: LabKey;
  needsDaemon: boolean;
  target: (st: LabState) => string;
  peer?: (st: LabState, stateDir: string) => Promise<Peer>;
}

const CELLS: Cell[] = [
  { id: 'direct', label: 'direct to one RS (no balancer)', lab: 'dr', needsDaemon: false, target: (st) => st.topology.rs[0]!.rip },
  { id: 'uvs-dr', label: 'uvs DR', lab: 'dr', needsDaemon: true, target: (st) => st.topology.vip },
  { id: 'uvs-nat', label: 'uvs NAT', lab: 'nat', needsDaemon: true, target: (st) => st.topology.vip },
  { id: 'uvs-tun', label: 'uvs TUN (userspace decap on the RS)', lab: 'tun', needsDaemon: true, target: (st) => st.topology.vip },
  { id: 'nft', label: 'nftables DNAT (numgen inc mod 2)', lab: 'peer', needsDaemon: false, target: (st) => st.topology.vip, peer: (st) => startNftDnat(st, PORT) },
  { id: 'haproxy', label: 'HAProxy tcp mode (nbthread 1)', lab: 'peer', needsDaemon: false, target: (st) => st.topology.vip, peer: (st, d) => startHaproxy(st, PORT, d) },
  { id: 'node-proxy', label: 'Node net proxy', lab: 'peer', needsDaemon: false, target: (st) => st.topology.vip, peer: (st, d) => startNodeProxy(st, PORT, d) },
];

interface Workload { id: string; label: string; bytes: number; close: boolean }

const WORKLOADS: Workload[] = [
  { id: 'small-ka', label: '100 B keep-alive', bytes: 100, close: false },
  { id: 'small-close', label: '100 B new conn/request', bytes: 100, close: true },
  { id: 'large-ka', label: '100 KB keep-alive', bytes: 102_400, close: false },
  { id: 'large-close', label: '100 KB new conn/request', bytes: 102_400, close: true },
];

interface Measured {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  directorCpuPct: number | null;
  machineCpuPct: number;
  errors: number;
}

type Row = { cell: Cell; results: Map<string, Measured | string> };

function procTicks(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function measure(clientNs: string, url: string, w: Workload, o: { durationS: number; threads: number; connections: number }, pid: number | null): Measured & { wrk: WrkResult } {
  const hz = 100;
  const p0 = pid !== null ? procTicks(pid) : null;
  const m0 = machineTicks();
  const t0 = process.hrtime.bigint();
  const r = runWrk({ netns: clientNs, url, durationS: o.durationS, threads: o.threads, connections: o.connections, close: w.close });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const p1 = pid !== null ? procTicks(pid) : null;
  const m1 = machineTicks();
  return {
    wrk: r,
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    directorCpuPct: p0 !== null && p1 !== null ? ((p1 - p0) / hz / secs) * 100 : null,
    machineCpuPct: ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100 * cpus().length,
    errors: r.errors + r.non2xx,
  };
}

function fmtMs(x: number): string {
  return Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '-';
}

function table(rows: Row[], w: Workload): string[] {
  const out = [
    `**${w.label}** (GET /size/${w.bytes})`,
    '',
    '| path | req/s | p50 ms | p99 ms | director CPU % | machine CPU % (of 200) | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const m = row.results.get(w.id);
    if (m === undefined) continue;
    if (typeof m === 'string') { out.push(`| ${row.cell.label} | ${m} | | | | | |`); continue; }
    out.push(`| ${row.cell.label} | ${Math.round(m.rps)} | ${fmtMs(m.p50Ms)} | ${fmtMs(m.p99Ms)} | ${m.directorCpuPct === null ? (row.cell.id === 'nft' ? 'in kernel' : '-') : m.directorCpuPct.toFixed(0)} | ${m.machineCpuPct.toFixed(0)} | ${m.errors} |`);
  }
  out.push('');
  return out;
}

function writeResults(heading: string, section: string): string {
  const file = join(REPO_ROOT, 'bench', 'RESULTS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = text.indexOf(`\n${heading}\n`);
  let next: string;
  if (start < 0) {
    next = text.replace(/\n*$/, '\n\n') + section;
  } else {
    const after = text.indexOf('\n## ', start + heading.length + 1);
    next = text.slice(0, start + 1) + section + (after < 0 ? '' : '\n' + text.slice(after + 1));
  }
  writeFileSync(file, next);
  return file;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('uvs bench lab [--duration 5] [--runs 3] [--only direct,uvs-dr,uvs-nat,uvs-tun,nft,haproxy,node-proxy] [--workloads small-ka,small-close,large-ka,large-close] [--threads 2] [--connections 64] [--rx-threads] [--no-write]\n');
    return 0;
  }
  if (process.getuid && process.getuid() !== 0) {
    process.stderr.write('uvs bench lab: needs root (network namespaces)\n');
    return 1;
  }
  const durationS = Number(arg(argv, '--duration') ?? 5);
  // The labs' switch ports toward the director receive in their own thread (not in the TUN lab).
  const rxThreads = argv.includes('--rx-threads');
  const runs = Number(arg(argv, '--runs') ?? 3);
  const threads = Number(arg(argv, '--threads') ?? 2);
  const connections = Number(arg(argv, '--connections') ?? 64);
  if (![durationS, runs, threads, connections].every((n) => Number.isInteger(n) && n > 0 && n <= 10_000)) {
    process.stderr.write('uvs bench lab: --duration, --runs, --threads, --connections take whole numbers\n');
    return 2;
  }
  const only = arg(argv, '--only')?.split(',');
  const cells = CELLS.filter((c) => !only || only.includes(c.id));
  const onlyWorkloads = arg(argv, '--workloads')?.split(',');
  const workloads = WORKLOADS.filter((w) => !onlyWorkloads || onlyWorkloads.includes(w.id));
  if (cells.length === 0 || workloads.length === 0) {
    process.stderr.write(`uvs bench lab: nothing to run (cells: ${CELLS.map((c) => c.id).join(',')}; workloads: ${WORKLOADS.map((w) => w.id).join(',')})\n`);
    return 2;
  }
  const haveDaemon = daemonAvailable();
  const log = (s: string): void => { process.stderr.write(s + '\n'); };
  const started = new Date();
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const rows: Row[] = cells.map((cell) => ({ cell, results: new Map() }));
  const samples = new Map<string, Measured[]>();
  const labs = new Map<LabKey, { st: LabState; stateDir: string }>();
  const failed = new Map<string, string>();
  const usedLabs = [...new Set(cells.map((c) => c.lab))];
  // If the process ends before the finally below (signal, EPIPE, crash), the labs are removed by
  // name at once; after the finally's graceful down() this finds nothing left.
  const teardown = teardownOnExit('uvs bench lab', () => {
    for (const key of usedLabs) removeLabNow(labPaths(LABS[key].name));
  });
  try {
    for (const key of usedLabs) {
      const l = LABS[key];
      const paths = labPaths(l.name);
      try {
        const { state } = await up({ ...defaultUpOptions(l.mode), rsCount: 2, director: l.director && haveDaemon, ...(rxThreads && l.mode !== 'tun' ? { rxThreads } : {}) }, paths);
        labs.set(key, { st: state, stateDir: paths.stateDir });
      } catch (e) {
        for (const c of cells) if (c.lab === key) failed.set(c.id, `lab ${l.name}: ${e instanceof Error ? e.message.split('\n')[0]! : String(e)}`);
      }
    }
    for (const c of cells) {
      if (failed.has(c.id)) continue;
      if (c.needsDaemon && !haveDaemon) failed.set(c.id, 'n/a (uvs run not built)');
      else if (c.needsDaemon && !labs.get(c.lab)!.st.director.started) failed.set(c.id, `director not started: ${labs.get(c.lab)!.st.director.reason ?? '?'}`);
    }
    // Runs are interleaved (run → workload → cell) so that whatever else loads the machine
    // spreads over every cell instead of landing on one.
    for (let r = 0; r < runs; r++) {
      for (const w of workloads) {
        for (const c of cells) {
          if (failed.has(c.id)) continue;
          const { st, stateDir } = labs.get(c.lab)!;
          let peer: Peer | null = null;
          try {
            if (c.peer) peer = await c.peer(st, stateDir);
            const clientNs = st.topology.nodes.find((n) => n.role === 'client')!.netns;
            const url = `http://${c.target(st)}:${PORT}/size/${w.bytes}`;
            const check = runCmd('ip', ['netns', 'exec', clientNs, 'curl', '-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', url]);
            if (check.stdout !== '200') throw new Error(`GET ${url} from the client failed (curl ${check.code}, status ${check.stdout || 'none'})`);
            if (r === 0) runWrk({ netns: clientNs, url, durationS: 1, threads, connections, close: w.close });
            const pid = c.needsDaemon ? st.director.pid : (peer?.pid ?? null);
            const m = measure(clientNs, url, w, { durationS, threads, connections }, pid);
            const key = `${c.id}/${w.id}`;
            samples.set(key, [...(samples.get(key) ?? []), m]);
            log(`run ${r + 1} ${w.id} ${c.id}: ${Math.round(m.rps)} req/s, p50 ${fmtMs(m.p50Ms)} ms, p99 ${fmtMs(m.p99Ms)} ms, director CPU ${m.directorCpuPct?.toFixed(0) ?? '-'}%, errors ${m.errors}`);
          } catch (e) {
            const msg = `failed: ${e instanceof Error ? e.message.split('\n')[0]! : String(e)}`;
            log(`${c.id}: ${msg}`);
            failed.set(c.id, msg);
          } finally {
            if (peer) await peer.stop();
          }
        }
      }
    }
  } finally {
    for (const key of usedLabs) await down(labPaths(LABS[key].name));
    teardown();
  }
  for (const row of rows) {
    for (const w of workloads) {
      const f = failed.get(row.cell.id);
      const ms = samples.get(`${row.cell.id}/${w.id}`) ?? [];
      if (ms.length === 0 || (f && ms.length < runs)) { row.results.set(w.id, (f ?? 'no sample').replace(/\|/g, '/')); continue; }
      row.results.set(w.id, {
        rps: median(ms.map((m) => m.rps)),
        p50Ms: median(ms.map((m) => m.p50Ms)),
        p99Ms: median(ms.map((m) => m.p99Ms)),
        directorCpuPct: ms[0]!.directorCpuPct === null ? null : median(ms.map((m) => m.directorCpuPct ?? 0)),
        machineCpuPct: median(ms.map((m) => m.machineCpuPct)),
        errors: ms.reduce((a, m) => a + m.errors, 0),
      });
    }
  }
  const cmd = `uvs bench lab ${argv.join(' ')}`.trim();
  const heading = rxThreads ? '## Lab end to end, switch ports receiving in their own thread (--rx-threads)' : '## Lab end to end';
  const lines = [
    heading,
    '',
    `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, machine \`${cpus().length} cores / ${Math.round(totalmem() / 2 ** 30)} GiB / Debian / Node ${process.versions.node}\`, command \`${cmd}\` (as root).`,
    `wrk -t${threads} -c${connections} from the lab's client namespace, ${durationS} s per run after a 1 s warm-up, median of ${runs} runs;`,
    'every path crosses the lab router; 2 real servers (node rs-agent, one process each) except "direct";',
    'veth offloads (tx checksum/TSO/GSO, GRO) are off wherever frames reach the director (they must be wire-sized with full checksums for a raw-socket director);',
    'DR/TUN real servers reply around the director and keep theirs; NAT real servers reply through it, so the whole NAT path (uvs NAT and every peer) runs without them.',
    rxThreads
      ? 'The switch ports that receive the director\'s frames (uvs\'s, or the peers\' box\'s) do so in their own kernel thread (threaded NAPI, GRO on), as a NIC on another machine would; not in the TUN lab (its router must not merge IP-in-IP frames).'
      : 'On veth a receiver\'s stack runs inside its sender\'s transmit call: what the director sends, it also pays the bridge\'s, router\'s, real servers\' and client\'s work for (see --rx-threads).',
    `Load average when the run started: ${loadAtStart} (other work shares this machine: compare cells within one run, not across runs).`,
    'uvs and its peers were measured in this same run, runs interleaved cell by cell; the labs are built identically (uvs DR/NAT/TUN in their mode\'s lab, "direct" in the DR lab, the peers in the director namespace of a NAT lab without uvs, VIP on the director\'s eth0).',
    'Director CPU: the balancing process (uvs run, haproxy, node proxy) in % of one core; nftables works in the kernel (see machine CPU).',
    '',
  ];
  for (const w of workloads) lines.push(...table(rows, w));
  lines.push('Peers measured before uvs work began (req/s, 100 B ka / 100 B close / 100 KB ka / 100 KB close, other settings):',
    'direct 33k / 8.6k / 11.6k / 4.2k; nftables DNAT 24k / 5.8k / 8.2k / 2.6k; HAProxy 25k / 6.2k / 6.7k / 2.6k; Node proxy 24k / 3.9k / 6.0k / 2.2k.', '');
  const section = lines.join('\n');
  process.stdout.write(section + '\n');
  if (!argv.includes('--no-write')) process.stderr.write(`written to ${writeResults(heading, section)}\n`);
  return 0;
}
