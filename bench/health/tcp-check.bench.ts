// Cost of keepalived-style health checking in uvs: the health manager checks N real servers (default
// 1000) with TCP_CHECK every delay_loop (1 s) against N local listeners that run in a separate
// process, so the figure is the checker process alone. Reported: CPU of the checker process as a
// share of one core over the measuring window (median over runs), checks completed per second,
// event-loop delay p99, and the listener process's CPU for context.
// Then detection: K real servers lose their listener at once; time until the manager issues `-d`
// (vs the bound delay_loop + retry x delay_before_retry + connect_timeout) and, after the listener
// is back, time until `-a` (vs delay_loop).
// Floor in the same run: plain net.connect()+destroy() at the same rate, no health logic.
// Peer in the same run: the seeds' hand-written loop (bash, one `curl --connect-timeout 1` per
// real server per sweep, `sleep 1` between sweeps) against the same listeners: checks per second
// and CPU (shell plus children, from `times`).
//   npm run build && node dist/bench/health/tcp-check.bench.js [--rs 1000] [--seconds 10] [--runs 3] [--peer-seconds 10] [--json]

import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, createServer, type AddressInfo, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { HealthManager, type RealServerSpec } from '../../src/health/manager.js';
import { TcpCheck } from '../../src/health/tcp-check.js';
import type { ExecResult, TableEditor } from '../../src/health/table-editor.js';
import type { DestConfig, ServiceConfig } from '../../src/model/config.js';

interface Opts {
  rs: number;
  seconds: number;
  runs: number;
  peerSeconds: number;
  detect: number;
  json: boolean;
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = { rs: 1000, seconds: 10, runs: 3, peerSeconds: 10, detect: 20, json: false };
  const num: Record<string, 'rs' | 'seconds' | 'runs' | 'peerSeconds' | 'detect'> = {
    '--rs': 'rs',
    '--seconds': 'seconds',
    '--runs': 'runs',
    '--peer-seconds': 'peerSeconds',
    '--detect': 'detect',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = num[argv[i]];
    if (key) {
      o[key] = Number(argv[i + 1]);
      i++;
    } else if (argv[i] === '--json') o.json = true;
  }
  return o;
}

// ---- listener process ------------------------------------------------------------------------

async function listenerMain(n: number): Promise<void> {
  const servers: (Server | null)[] = [];
  const ports: number[] = [];
  const listen = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = createServer((c) => c.destroy());
      s.once('error', reject);
      s.listen({ port, host: '127.0.0.1', backlog: 511 }, () => resolve(s));
    });
  for (let i = 0; i < n; i++) {
    const s = await listen(0);
    servers.push(s);
    ports.push((s.address() as AddressInfo).port);
  }
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    const [cmd, arg] = line.split(' ');
    if (cmd === 'close') {
      const idx = arg.split(',').map(Number);
      await Promise.all(idx.map((i) => new Promise((r) => (servers[i] ? servers[i]!.close(r) : r(null)))));
      for (const i of idx) servers[i] = null;
      process.stdout.write('ok\n');
    } else if (cmd === 'open') {
      const idx = arg.split(',').map(Number);
      for (const i of idx) servers[i] = await listen(ports[i]);
      process.stdout.write('ok\n');
    } else if (cmd === 'cpu') {
      const u = process.cpuUsage();
      process.stdout.write(`${JSON.stringify({ cpuUs: u.user + u.system })}\n`);
    } else if (cmd === 'exit') break;
  }
  process.exit(0);
}

class Listener {
  private readonly lines: string[] = [];
  private waiters: ((l: string) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const w = this.waiters.shift();
      if (w) w(l);
      else this.lines.push(l);
    });
  }
  next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((r) => this.waiters.push(r));
  }
  async cmd(c: string): Promise<string> {
    this.child.stdin!.write(`${c}\n`);
    return this.next();
  }
}

// ---- checker side ----------------------------------------------------------------------------

class TimedEditor implements TableEditor {
  readonly events = new Map<string, { del: number; add: number }>();
  calls = 0;
  execute(argv: string[]): ExecResult {
    this.calls++;
    const i = argv.indexOf('-r');
    if (i > 0 && (argv[0] === '-d' || argv[0] === '-a')) {
      const e = this.events.get(argv[i + 1]) ?? { del: -1, add: -1 };
      if (argv[0] === '-d') e.del = performance.now();
      else e.add = performance.now();
      this.events.set(argv[i + 1], e);
    }
    return { code: 0, stderr: '' };
  }
}

const SERVICE: ServiceConfig = {
  id: 1, af: 4, protocol: 'tcp', addr: '10.0.0.100', port: 80, fwmark: 0, sched: 'wlc', flags: 0, timeoutS: 0,
  netmask: '255.255.255.255', pe: '', dests: [],
};

function destFor(port: number): DestConfig {
  return { id: 0, af: 4, addr: '127.0.0.1', port, weight: 1, fwd: 'Route', uThreshold: 0, lThreshold: 0, tunType: 'ipip', tunPort: 0, tunFlags: 'nocsum' };
}

const TIMING = { delayLoopMs: 1000, retry: 1, delayBeforeRetryMs: 1000, warmupMs: 1000, alpha: false };
const CONNECT_TIMEOUT_MS = 1000;
/** Steady state only: the first seconds include V8 tiering up the check path. */
const WARMUP_MS = 5000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function totalChecks(m: HealthManager): number {
  let n = 0;
  for (const vs of m.vss) for (const rs of vs.rs) n += rs.counters.checks;
  return n;
}

interface RunFigures {
  cpuPct: number;
  userPct: number;
  sysPct: number;
  checksPerS: number;
  loopDelayP99Ms: number;
  listenerCpuPct: number;
}

async function measure(ports: number[], listener: Listener, seconds: number): Promise<RunFigures> {
  const editor = new TimedEditor();
  const realServers: RealServerSpec[] = ports.map((p) => ({
    dest: destFor(p),
    inhibit: false,
    notifyUp: '',
    notifyDown: '',
    checkers: [{ checker: new TcpCheck({ af: 4, host: '127.0.0.1', port: p, bindto: null, bindPort: 0, timeoutMs: CONNECT_TIMEOUT_MS }), timing: TIMING }],
  }));
  const m = new HealthManager(
    [{ service: SERVICE, quorum: 1, hysteresis: 0, quorumUp: '', quorumDown: '', omega: false, sorryServer: null, sorryServerInhibit: false, realServers }],
    { editor, bootstrapDelayMs: 0, manageServices: false },
  );
  m.start();
  await sleep(WARMUP_MS);
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const c0 = process.cpuUsage();
  const l0 = JSON.parse(await listener.cmd('cpu')).cpuUs as number;
  const n0 = totalChecks(m);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  const l1 = JSON.parse(await listener.cmd('cpu')).cpuUs as number;
  const n1 = totalChecks(m);
  h.disable();
  await m.stop();
  const wallUs = (t1 - t0) * 1000;
  let failures = 0;
  for (const rs of m.vss[0].rs) failures += rs.counters.failures;
  if (failures) process.stderr.write(`warning: ${failures} check failures during the measurement\n`);
  return {
    cpuPct: (100 * (c1.user + c1.system)) / wallUs,
    userPct: (100 * c1.user) / wallUs,
    sysPct: (100 * c1.system) / wallUs,
    checksPerS: (n1 - n0) / ((t1 - t0) / 1000),
    loopDelayP99Ms: h.percentile(99) / 1e6,
    listenerCpuPct: (100 * (l1 - l0)) / wallUs,
  };
}

interface DetectFigures {
  k: number;
  detectMedianMs: number;
  detectMaxMs: number;
  detectBoundMs: number;
  restoreMedianMs: number;
  restoreMaxMs: number;
  restoreBoundMs: number;
}

async function detection(ports: number[], listener: Listener, k: number): Promise<DetectFigures> {
  const editor = new TimedEditor();
  const realServers: RealServerSpec[] = ports.map((p) => ({
    dest: destFor(p),
    inhibit: false,
    notifyUp: '',
    notifyDown: '',
    checkers: [{ checker: new TcpCheck({ af: 4, host: '127.0.0.1', port: p, bindto: null, bindPort: 0, timeoutMs: CONNECT_TIMEOUT_MS }), timing: TIMING }],
  }));
  const m = new HealthManager(
    [{ service: SERVICE, quorum: 1, hysteresis: 0, quorumUp: '', quorumDown: '', omega: false, sorryServer: null, sorryServerInhibit: false, realServers }],
    { editor, bootstrapDelayMs: 0, manageServices: false },
  );
  m.start();
  await sleep(2500);
  const idx = Array.from({ length: k }, (_, i) => Math.floor((i * ports.length) / k));
  const keys = idx.map((i) => `127.0.0.1:${ports[i]}`);
  await listener.cmd(`close ${idx.join(',')}`);
  const tClose = performance.now();
  const boundDetect = TIMING.delayLoopMs + TIMING.retry * TIMING.delayBeforeRetryMs + CONNECT_TIMEOUT_MS;
  for (let i = 0; i < 200 && keys.some((key) => (editor.events.get(key)?.del ?? -1) < 0); i++) await sleep(25);
  await listener.cmd(`open ${idx.join(',')}`);
  const tOpen = performance.now();
  for (let i = 0; i < 200 && keys.some((key) => (editor.events.get(key)?.add ?? -1) < tOpen); i++) await sleep(25);
  await m.stop();
  const det = keys.map((key) => editor.events.get(key)!.del - tClose);
  const res = keys.map((key) => editor.events.get(key)!.add - tOpen);
  return {
    k,
    detectMedianMs: median(det),
    detectMaxMs: Math.max(...det),
    detectBoundMs: boundDetect,
    restoreMedianMs: median(res),
    restoreMaxMs: Math.max(...res),
    restoreBoundMs: TIMING.delayLoopMs,
  };
}

/**
 * The floor in the same run: Node's own net.connect()+destroy() to the same listeners at the same
 * rate (10 connects every 10 ms), no health logic at all.
 */
async function floor(ports: number[], seconds: number): Promise<{ cpuPct: number; connectsPerS: number }> {
  let i = 0;
  let ok = 0;
  const t = setInterval(() => {
    for (let k = 0; k < 10; k++) {
      const s = netConnect({ host: '127.0.0.1', port: ports[i++ % ports.length] });
      s.once('connect', () => {
        ok++;
        s.destroy();
      });
      s.on('error', () => {});
    }
  }, 10);
  await sleep(WARMUP_MS);
  const c0 = process.cpuUsage();
  const ok0 = ok;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  clearInterval(t);
  await sleep(200);
  return { cpuPct: (100 * (c1.user + c1.system)) / (wall * 1000), connectsPerS: (ok - ok0) / (wall / 1000) };
}

interface PeerFigures {
  checksPerS: number;
  cpuPct: number;
  sweepS: number;
}

/** The seeds' loop: curl each real server with --connect-timeout 1, sleep 1, repeat. */
function peer(ports: number[], seconds: number): Promise<PeerFigures> {
  const script = [
    `PORTS="${ports.join(' ')}"`,
    `END=$((SECONDS + ${seconds}))`,
    'N=0; SWEEPS=0',
    'while [ $SECONDS -lt $END ]; do',
    '  for p in $PORTS; do',
    '    curl -s -o /dev/null --connect-timeout 1 http://127.0.0.1:$p/ ; N=$((N+1))',
    '    [ $SECONDS -ge $END ] && break',
    '  done',
    '  SWEEPS=$((SWEEPS+1)); [ $SECONDS -lt $END ] && sleep 1',
    'done',
    'echo "N=$N SWEEPS=$SWEEPS"',
    'times',
  ].join('\n');
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', () => {
      const wall = (performance.now() - t0) / 1000;
      const n = Number(/N=(\d+)/.exec(out)?.[1] ?? 0);
      // `times`: shell user/sys, then children user/sys, as 0m1.234s.
      const secs = [...out.matchAll(/(\d+)m([\d.]+)s/g)].map((mm) => Number(mm[1]) * 60 + Number(mm[2]));
      const cpu = secs.reduce((a, b) => a + b, 0);
      resolve({ checksPerS: n / wall, cpuPct: (100 * cpu) / wall, sweepS: n ? (wall / n) * ports.length : 0 });
    });
  });
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--listener', String(o.rs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const listener = new Listener(child);
  try {
    const { ports } = JSON.parse(await listener.next()) as { ports: number[] };
    // Checker and floor windows alternate, so both see the same machine conditions.
    const runs: RunFigures[] = [];
    const floors: { cpuPct: number; connectsPerS: number }[] = [];
    for (let r = 0; r < o.runs; r++) {
      runs.push(await measure(ports, listener, o.seconds));
      floors.push(await floor(ports, o.seconds));
    }
    const det = await detection(ports, listener, Math.min(o.detect, ports.length));
    const p = o.peerSeconds > 0 ? await peer(ports, o.peerSeconds) : null;
    const result = {
      rs: o.rs,
      seconds: o.seconds,
      runs: o.runs,
      cpuPct: median(runs.map((x) => x.cpuPct)),
      cpuPctRuns: runs.map((x) => Number(x.cpuPct.toFixed(2))),
      userPct: median(runs.map((x) => x.userPct)),
      sysPct: median(runs.map((x) => x.sysPct)),
      checksPerS: median(runs.map((x) => x.checksPerS)),
      loopDelayP99Ms: median(runs.map((x) => x.loopDelayP99Ms)),
      listenerCpuPct: median(runs.map((x) => x.listenerCpuPct)),
      floorCpuPct: median(floors.map((x) => x.cpuPct)),
      floorCpuPctRuns: floors.map((x) => Number(x.cpuPct.toFixed(2))),
      floorConnectsPerS: median(floors.map((x) => x.connectsPerS)),
      detection: det,
      peer: p,
      loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    };
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const f = (x: number, d = 1) => x.toFixed(d);
      process.stdout.write(
        [
          `TCP_CHECK x ${o.rs} real servers, delay_loop 1 s, ${o.runs} runs x ${o.seconds} s (median)`,
          `  checker process CPU: ${f(result.cpuPct, 2)}% of one core (user ${f(result.userPct, 2)}%, system ${f(result.sysPct, 2)}%; runs: ${result.cpuPctRuns.join(', ')})`,
          `  checks/s: ${f(result.checksPerS)}   event-loop delay p99: ${f(result.loopDelayP99Ms, 2)} ms   listener process CPU: ${f(result.listenerCpuPct, 2)}%`,
          `  floor (plain net.connect+destroy, same rate, no health logic): ${f(result.floorCpuPct, 2)}% of one core at ${f(result.floorConnectsPerS)} connects/s (runs: ${result.floorCpuPctRuns.join(', ')})`,
          `  detection of ${det.k} dead real servers: median ${f(det.detectMedianMs, 0)} ms, max ${f(det.detectMaxMs, 0)} ms (bound delay_loop + retry x delay_before_retry + connect_timeout = ${det.detectBoundMs} ms)`,
          `  restore after the listener is back: median ${f(det.restoreMedianMs, 0)} ms, max ${f(det.restoreMaxMs, 0)} ms (bound delay_loop = ${det.restoreBoundMs} ms)`,
          p
            ? `  peer (seeds' bash+curl loop, same listeners, ${o.peerSeconds} s): ${f(p.checksPerS)} checks/s, CPU ${f(p.cpuPct)}% of one core, one sweep of ${o.rs} takes ${f(p.sweepS)} s`
            : '  peer: skipped',
          `  load average at the end: ${result.loadavg.join(' ')} (2 cores; other work on the machine inflates CPU figures)`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    child.stdin!.write('exit\n');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  }
}

if (process.argv[2] === '--listener') void listenerMain(Number(process.argv[3]));
else void main();
