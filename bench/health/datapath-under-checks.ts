// Datapath throughput while 1,000 real servers are checked every second, against the same datapath
// with the same table and no checking, in one run (as root; namespaces `uvs-b-hc-*` made and
// removed here):
//
//   gen ns g0 ──veth── d0 [director ns] d1 ──veth── s0 sink ns      (bench/io/pps-topology.ts)
//                           d2 10.9.3.1
//                            └──veth── c0 10.9.3.2 [checked ns: 1,000 addresses on lo, one listener]
//
// The director runs `uvs run --iface d0 --inside-iface d1 --keepalived F`, pinned to CPU 0 as in
// bench/pps.ts. F holds (a) the forwarded service: UDP 10.9.1.100:9, NAT, rr, one real server
// 10.9.2.3:9 (the sink) and no checker; (b) a TCP virtual_server 10.9.1.200:80 (DR, wlc) with 1,000
// real servers 10.9.{4..7}.{1..250}:80. Mode `checks`: each has a TCP_CHECK (delay_loop 1,
// connect_timeout 1, retry 1, delay_before_retry 1): 1,000 connects/s from the director's kernel
// over d2 (kernel routing: uvs does not drive d2) to one node listener in the checked namespace
// (pinned to CPU 1 with the generator; it accepts on 0.0.0.0:80 and closes at once, counting
// accepts). Mode `none`, the peer: the same file without the TCP_CHECK blocks (same table, same
// health manager, nothing to run). uvs is restarted for every run; runs alternate checks, none,
// checks, none, ... so background load falls on both alike.
//
// Before measuring, a run waits until the table holds 1 + 1,000 dests (`uvsadm -L -n`) and the
// start-up work has settled, then for the checks' warm-up; in mode
// `checks` it then requires, over 2 s, accepts at the listener from all 1,000 addresses, ≥ 900
// accepts/s and no `Removing service` in uvs's log (otherwise the run fails): a check runs
// delay_loop after the previous one ended, so slow checks (a busy CPU) show as < 1,000/s. Per trial (one offered rate, --secs s): forwarded frames
// (sink rx_packets), loss, CPU µs per forwarded frame of the uvs process (all threads) and of its
// threads other than the main one (the datapath worker), the main thread's share of one core (the
// health manager and control plane run there), and checks/s = accepts/s at the listener during
// the trial; failed checks show as `Removing service` in uvs's log and are reported.
//
//   npm run build && flock /tmp/uvs-heavy.lock node dist/bench/health/datapath-under-checks.js \
//     [--rates 200000,300000,0] [--secs 5] [--runs 3] [--rs 1000] [--warmup 6] [--modes checks,none[,checks-equal]] [--json FILE]
// `checks` runs uvs as shipped (its main thread lowers itself to nice 10 below the datapath worker);
// `checks-equal` (diagnostic) runs it with `--main-nice 0`: both threads at the same priority.
// Rate 0 means "as fast as the generator can".

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { CLK_TCK, PpsTopology, ROOT, SINK_RS, VIP, cpuTicks, ensureGenerator, median, sh, sleep, stopChild, threadTicks } from '../io/pps-topology.js';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';
import { teardownOnExit } from '../teardown-on-exit.js';

const execFileAsync = promisify(execFile);

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const CHECKED_VIP = '10.9.1.200';
const UVS = join(ROOT, 'dist', 'src', 'cli', 'uvs.js');
const UVSADM = join(ROOT, 'dist', 'src', 'cli', 'uvsadm.js');
const METRICS = '127.0.0.1:9817';

/** The checked real servers' addresses: 10.9.4.1 .. 10.9.4.250, 10.9.5.1 .., n of them (n ≤ 1000). */
function rsAddrs(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.9.${4 + Math.floor(i / 250)}.${(i % 250) + 1}`);
}

/** keepalived.conf: the forwarded UDP service and the TCP service with n real servers, checked or not. */
export function keepalivedConf(n: number, checks: boolean): string {
  const check = checks ? '\n        TCP_CHECK {\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }' : '';
  const rs = rsAddrs(n).map((a) => `    real_server ${a} 80 {\n        weight 1${check}\n    }`).join('\n');
  return [
    `virtual_server ${VIP} 9 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol UDP\n    real_server ${SINK_RS} 9 {\n        weight 1\n    }\n}`,
    `virtual_server ${CHECKED_VIP} 80 {\n    delay_loop 1\n    lb_algo wlc\n    lb_kind DR\n    protocol TCP\n${rs}\n}`,
  ].join('\n') + '\n';
}

// ---- listener (runs in the checked namespace) -------------------------------------------------

function listenerMain(): void {
  let accepts = 0;
  let locals = new Set<string>();
  const srv = createServer((c) => {
    accepts++;
    if (c.localAddress) locals.add(c.localAddress);
    c.destroy();
  });
  srv.on('error', (e) => { process.stderr.write(`listener: ${e.message}\n`); process.exit(1); });
  srv.listen({ port: 80, host: '0.0.0.0', backlog: 4096 }, () => process.stdout.write('listening\n'));
  createInterface({ input: process.stdin }).on('line', (l) => {
    if (l === 'count') {
      process.stdout.write(`${JSON.stringify({ accepts, distinct: locals.size })}\n`);
      locals = new Set();
    } else if (l === 'exit') process.exit(0);
  });
  process.stdin.on('end', () => process.exit(0));
}

class Listener {
  private waiters: ((l: string) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => this.waiters.shift()?.(l));
  }
  next(ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('listener did not answer')), ms);
      this.waiters.push((l) => { clearTimeout(t); resolve(l); });
    });
  }
  async count(): Promise<{ accepts: number; distinct: number }> {
    const p = this.next(3000);
    this.child.stdin!.write('count\n');
    return JSON.parse(await p) as { accepts: number; distinct: number };
  }
}

// ---- benchmark ---------------------------------------------------------------------------------

type Mode = 'checks' | 'none' | 'checks-equal';
const MODES: readonly Mode[] = ['checks', 'none', 'checks-equal'];

interface Trial {
  mode: Mode;
  run: number;
  rate: number;
  sent: number;
  fwd: number;
  pps: number;
  loss: number;
  cpuUsPerPkt: number;
  workerUsPerPkt: number;
  mainThreadPct: number;
  checksPerS: number;
  failures: number;
  /** Frames the kernel dropped at uvs's receive ring (uvs_kernel_drops_total) and tx drops, during the trial. */
  kernelDrops: number;
  txDrops: number;
  /** Time the busiest non-main thread (the datapath worker) and the main thread waited on the run queue, ms per s. */
  workerWaitMsPerS: number;
  mainWaitMsPerS: number;
}

/** /proc/PID/task/TID/schedstat: on-CPU ns, run-queue wait ns, timeslices; per tid. */
function runDelays(pid: number, tids: Iterable<number>): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of tids) {
    try { m.set(t, Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[1])); } catch { /* gone */ }
  }
  return m;
}

class Bench {
  readonly prefix = `uvs-b-hc-${process.pid % 10000}`;
  readonly topo = new PpsTopology(this.prefix);
  readonly checkedNs = `${this.prefix}-c`;
  readonly tmp = join(ROOT, 'bench', 'out', `hc-${process.pid}`);
  listener: Listener | null = null;
  uvs: ChildProcess | null = null;
  log = '';
  removals = 0;

  constructor(readonly n: number, readonly secs: number, readonly warmupS: number) {}

  setup(): void {
    mkdirSync(this.tmp, { recursive: true });
    this.topo.setup();
    this.topo.sinkDropAtIngress();
    const c = this.checkedNs;
    const d = this.topo.ns.d;
    sh('ip', ['netns', 'add', c]);
    this.topo.inNs(c, 'ip', ['link', 'set', 'lo', 'up']);
    sh('ip', ['link', 'add', 'd2', 'netns', d, 'type', 'veth', 'peer', 'name', 'c0', 'netns', c]);
    this.topo.inNs(d, 'ip', ['addr', 'add', '10.9.3.1/24', 'dev', 'd2']);
    this.topo.inNs(c, 'ip', ['addr', 'add', '10.9.3.2/24', 'dev', 'c0']);
    this.topo.inNs(d, 'ip', ['link', 'set', 'd2', 'up']);
    this.topo.inNs(c, 'ip', ['link', 'set', 'c0', 'up']);
    // One neighbour for all 1,000: the director routes 10.9.4.0/22 via the checked namespace.
    this.topo.inNs(d, 'ip', ['route', 'add', '10.9.4.0/22', 'via', '10.9.3.2', 'dev', 'd2']);
    sh('ip', ['-n', c, '-batch', '-'], rsAddrs(this.n).map((a) => `addr add ${a}/32 dev lo`).join('\n') + '\n');
    // Many connections from one source address to port 80 of many addresses, and their TIME_WAITs.
    this.topo.inNs(c, 'sysctl', ['-qw', 'net.core.somaxconn=4096']);
  }

  teardown(): void {
    for (const ch of [this.uvs, this.listener?.child]) {
      if (ch?.pid && ch.exitCode === null && ch.signalCode === null) try { process.kill(ch.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    this.topo.teardown();
    destroyNamespace(this.checkedNs);
    rmSync(this.tmp, { recursive: true, force: true });
  }

  async startListener(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.checkedNs, 'taskset', '-c', '1', process.execPath, fileURLToPath(import.meta.url), '--listener'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.listener = new Listener(child);
    const first = await this.listener.next(10000);
    if (first !== 'listening') throw new Error(`listener: ${first}`);
  }

  /**
   * Counts the dests in `uvsadm -L -n`. Asynchronous on purpose: this process drains uvs's log
   * pipe, and while a blocking spawn here waited for uvsadm, uvs's start-up log (1,000 "no route"
   * lines for the checked real servers, more than a pipe holds) filled it; with uvs's old
   * synchronous logging that deadlocked both until uvsadm's 60 s timeout (now uvs would drop lines).
   */
  async dests(sock: string): Promise<{ udp: number; tcp: number }> {
    const { stdout: out } = await execFileAsync('ip', ['netns', 'exec', this.topo.ns.d, process.execPath, UVSADM, '--socket', sock, '-L', '-n'],
      { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 30_000 });
    let udp = 0;
    let tcp = 0;
    let cur = '';
    for (const line of out.split('\n')) {
      if (/^(UDP|TCP)\s/.test(line)) cur = line.slice(0, 3);
      else if (/->\s+10\.9\./.test(line)) { if (cur === 'UDP') udp++; else tcp++; }
    }
    return { udp, tcp };
  }

  /** Starts uvs with the keepalived file of `mode`; resolves when the table is complete and start-up has settled. */
  async startUvs(mode: Mode, run: number): Promise<void> {
    const conf = join(this.tmp, `keepalived-${mode}.conf`);
    writeFileSync(conf, keepalivedConf(this.n, mode !== 'none'));
    const sock = join(this.tmp, `uvs-${mode}-${run}.sock`);
    this.log = '';
    this.removals = 0;
    const c = this.topo.spawnPinned('0', process.execPath, [UVS, 'run', '--iface', 'd0', '--inside-iface', 'd1', '--keepalived', conf,
      '--socket', sock, '--metrics', METRICS, '--neigh', `${SINK_RS}=${this.topo.sMac}`, '--max-conns', '65536', '--log-level', 'info', '--batch', '64',
      ...(mode === 'checks-equal' ? ['--main-nice', '0'] : [])]);
    this.uvs = c;
    const tStart = performance.now();
    let running = false;
    let tail = '';
    const onData = (d: Buffer) => {
      const s = d.toString();
      for (let i = s.indexOf('Removing service'); i >= 0; i = s.indexOf('Removing service', i + 1)) this.removals++;
      // A line may be split across chunks: look at the end of the previous chunk too.
      if ((tail + s).includes('"msg":"uvs running"')) running = true;
      tail = s.slice(-64);
      this.log = (this.log + s).slice(-20000);
    };
    c.stdout!.on('data', onData);
    c.stderr!.on('data', onData);
    for (let i = 0; i < 600 && !running; i++) {
      if (c.exitCode !== null) throw new Error(`uvs run exited ${c.exitCode}:\n${this.log.slice(-3000)}`);
      await sleep(50);
    }
    if (!running) throw new Error(`uvs run did not start:\n${this.log.slice(-3000)}`);
    let d = { udp: 0, tcp: 0 };
    for (let i = 0; i < 300; i++) {
      try { d = await this.dests(sock); } catch { /* socket not there yet */ }
      if (d.udp === 1 && d.tcp === this.n) break;
      await sleep(100);
    }
    if (d.udp !== 1 || d.tcp !== this.n) throw new Error(`table never complete: ${d.udp} UDP, ${d.tcp} TCP dests\n${this.log.slice(-3000)}`);
    const tTable = performance.now();
    // Start-up settles: the health manager's first commands, the table push to the worker, the nft sets.
    const pid = c.pid!;
    let quiet = 0;
    for (let i = 0; i < 60 && quiet < 2; i++) {
      const t0 = cpuTicks(pid);
      await sleep(1000);
      quiet = (cpuTicks(pid) - t0) / CLK_TCK < 0.4 ? quiet + 1 : 0;
    }
    const tSettled = performance.now();
    process.stderr.write(`  start-up: table complete after ${((tTable - tStart) / 1000).toFixed(1)} s, settled after ${((tSettled - tStart) / 1000).toFixed(1)} s\n`);
    await sleep(this.warmupS * 1000);
    if (mode !== 'none') {
      const a0 = await this.listener!.count();
      await sleep(2000);
      const a1 = await this.listener!.count();
      const perS = (a1.accepts - a0.accepts) / 2;
      if (perS < 0.9 * this.n || a1.distinct < this.n || this.removals > 0) throw new Error(`checks not running: ${perS} accepts/s from ${a1.distinct} addresses\n${this.log.slice(-3000)}`);
      process.stderr.write(`  checks verified: ${perS} accepts/s from ${a1.distinct} distinct addresses, ${d.tcp} TCP dests up, ${this.removals} removals so far\n`);
    }
  }

  /** uvs's drop counters, from its metrics endpoint (read outside the measured window). */
  drops(): { kernel: number; tx: number } {
    const text = this.topo.inNs(this.topo.ns.d, 'curl', ['-s', '--max-time', '3', `http://${METRICS}/metrics`]);
    const get = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { kernel: get('uvs_kernel_drops_total'), tx: get('uvs_tx_drops_total') };
  }

  async trial(mode: Mode, run: number, rate: number): Promise<Trial> {
    const pid = this.uvs!.pid!;
    const dr0 = this.drops();
    const rx0 = this.topo.sinkRx();
    const cpu0 = cpuTicks(pid);
    const th0 = threadTicks(pid);
    const rd0 = runDelays(pid, th0.keys());
    const a0 = await this.listener!.count();
    const rm0 = this.removals;
    const t0 = performance.now();
    const g = this.topo.gen(rate, this.secs);
    await sleep(200);
    const fwd = this.topo.sinkRx() - rx0;
    const cpu1 = cpuTicks(pid);
    const th1 = threadTicks(pid);
    const rd1 = runDelays(pid, th0.keys());
    const a1 = await this.listener!.count();
    const dr1 = this.drops();
    const wallS = (performance.now() - t0) / 1000;
    const main = ((th1.get(pid) ?? 0) - (th0.get(pid) ?? 0)) / CLK_TCK;
    const proc = (cpu1 - cpu0) / CLK_TCK;
    let worker = -1;
    let workerTicks = -1;
    for (const [tid, t] of th1) {
      const d = t - (th0.get(tid) ?? t);
      if (tid !== pid && d > workerTicks) { worker = tid; workerTicks = d; }
    }
    const waitMsPerS = (tid: number) => ((rd1.get(tid) ?? 0) - (rd0.get(tid) ?? 0)) / 1e6 / wallS;
    return {
      // The sink also counts the odd frame of the director's own (IPv6 neighbour discovery): loss ≥ 0.
      mode, run, rate, sent: g.sent, fwd, pps: fwd / g.secs, loss: g.sent ? Math.max(0, 1 - fwd / g.sent) : 0,
      cpuUsPerPkt: fwd ? (proc * 1e6) / fwd : NaN,
      workerUsPerPkt: fwd ? ((proc - main) * 1e6) / fwd : NaN,
      mainThreadPct: (100 * main) / wallS,
      checksPerS: (a1.accepts - a0.accepts) / wallS,
      failures: this.removals - rm0,
      kernelDrops: dr1.kernel - dr0.kernel,
      txDrops: dr1.tx - dr0.tx,
      workerWaitMsPerS: waitMsPerS(worker),
      mainWaitMsPerS: waitMsPerS(pid),
    };
  }

  async warmDatapath(): Promise<void> {
    this.topo.gen(50000, 1);
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const rates = arg('--rates', '200000,300000,0').split(',').map(Number);
  const secs = Number(arg('--secs', '5'));
  const runs = Math.min(Number(arg('--runs', '3')), 20);
  const n = Math.min(Number(arg('--rs', '1000')), 1000);
  const warmupS = Number(arg('--warmup', '6'));
  const modes = arg('--modes', 'checks,none').split(',').filter((m): m is Mode => (MODES as readonly string[]).includes(m));
  if (!modes.length) throw new Error(`--modes: some of ${MODES.join(',')}`);
  if (!existsSync(UVS)) throw new Error('build first: npm run build');
  ensureGenerator();
  const b = new Bench(n, secs, warmupS);
  // Runs once, from the finally below or however else the process ends (signal, EPIPE, crash).
  const teardown = teardownOnExit('datapath-under-checks', () => b.teardown());
  const trials: Trial[] = [];
  const started = new Date().toISOString();
  try {
    b.setup();
    await b.startListener();
    for (let run = 0; run < runs; run++) {
      for (const mode of modes) {
        process.stderr.write(`run ${run + 1} ${mode}: starting uvs\n`);
        await b.startUvs(mode, run);
        await b.warmDatapath();
        for (const rate of rates) {
          const t = await b.trial(mode, run, rate);
          trials.push(t);
          process.stderr.write(`run ${run + 1} ${mode.padEnd(11)} offered ${String(rate || 'max').padStart(7)}: sent ${t.sent} fwd ${t.fwd} (${Math.round(t.pps)} pps, loss ${(t.loss * 100).toFixed(2)}%) ` +
            `${t.cpuUsPerPkt.toFixed(2)} µs/pkt (worker ${t.workerUsPerPkt.toFixed(2)}), main thread ${t.mainThreadPct.toFixed(1)}%, checks ${t.checksPerS.toFixed(0)}/s, removals ${t.failures}, ring drops ${t.kernelDrops}, tx drops ${t.txDrops}, run-queue wait worker ${t.workerWaitMsPerS.toFixed(1)} main ${t.mainWaitMsPerS.toFixed(1)} ms/s\n`);
        }
        await stopChild(b.uvs!, 5000);
        b.uvs = null;
        await sleep(500);
      }
    }
  } finally {
    teardown();
  }
  const lines = [
    `datapath under health checks: ${n} real servers, TCP_CHECK every 1 s vs none; ${runs} runs x ${secs} s per rate (median)`,
    '| mode | rate | offered → forwarded (loss) | CPU µs/pkt (process) | µs/pkt (non-main threads) | main thread % of a core | checks/s | removals | ring drops (sum) | worker run-queue wait ms/s |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const rate of rates) {
    for (const mode of modes) {
      const ts = trials.filter((t) => t.mode === mode && t.rate === rate);
      const m = (f: (t: Trial) => number) => median(ts.map(f));
      lines.push(`| ${mode} | ${rate ? `${rate / 1000}k` : 'max'} | ${Math.round(m((t) => t.sent / secs) / 1000)}k → ${Math.round(m((t) => t.pps) / 1000)}k (${(m((t) => t.loss) * 100).toFixed(2)}%) ` +
        `[runs ${ts.map((t) => Math.round(t.pps / 1000)).join(', ')}k] | ${m((t) => t.cpuUsPerPkt).toFixed(2)} [${ts.map((t) => t.cpuUsPerPkt.toFixed(2)).join(', ')}] | ${m((t) => t.workerUsPerPkt).toFixed(2)} | ` +
        `${m((t) => t.mainThreadPct).toFixed(1)} | ${m((t) => t.checksPerS).toFixed(0)} | ${ts.reduce((s, t) => s + t.failures, 0)} | ${ts.reduce((s, t) => s + t.kernelDrops, 0)} | ${m((t) => t.workerWaitMsPerS).toFixed(1)} |`);
    }
  }
  lines.push(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  process.stdout.write(lines.join('\n') + '\n');
  const json = arg('--json', '');
  if (json) writeFileSync(json, JSON.stringify({ started, ended: new Date().toISOString(), n, secs, runs, rates, trials }, null, 2));
}

if (process.argv[2] === '--listener') listenerMain();
else {
  main().catch((err: unknown) => {
    process.stderr.write(`datapath-under-checks: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
