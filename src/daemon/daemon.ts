// `uvs run`, the main thread: owns the ControlModel, the control socket, the kernel hands-off
// table (vip-guard), health checks (--keepalived), metrics and signals; the datapath runs in a
// worker thread (datapath-worker.ts) with blocking batched I/O (with --io pcap, the same code on
// this thread: libpcap's `cap` binding cannot live in a worker).
//
//   start: load rules/keepalived/marks (a broken file refuses to start) → offloads off, nft
//   table → worker opens the interfaces and applies the table → control socket (mode 0600) →
//   metrics → signals.
//   table changes (uvsadm, health checks, SIGHUP): the model notifies once per command (or batch);
//   the changes of one event-loop turn go to the worker as one whole table, which it applies as a
//   difference between batches; the nft sets follow.
//   priorities: with a datapath worker, the main thread lowers its own priority (--main-nice,
//   default 10) so health checks and control never delay the datapath on a shared core.
//   routes: read at start; changes are followed within a second (route-watch.ts), and SIGHUP
//   re-reads them too.
//   SIGHUP: re-read the rules / keepalived / marks files; if one is broken, say why and keep running
//   as before; else change only what differs (services/dests edited in place keep their ids,
//   counters and conns; with --keepalived, checkers that stay keep their state).
//   SIGTERM/SIGINT: stop the worker (sockets closed), remove the nft table, the socket file, exit.

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Server as HttpServer } from 'node:http';
import { ControlModel } from '../control/model.js';
import { parseRulesFile } from '../control/rules-file.js';
import { parseMarkRules } from '../control/marks.js';
import { handleControlConnection } from '../control/server.js';
import { DEFAULT_SOCKET_PATH, type StatusReply } from '../control/protocol.js';
import { serviceLabel, type DestConfig, type ServiceConfig, type VirtualServerTable } from '../model/config.js';
import { zeroStats, type StatsSource } from '../model/snapshot.js';
import { parseIPv4 } from '../model/ipv4.js';
import { VipGuard, type GuardState } from '../io/vip-guard.js';
import { DEFAULT_RING_FRAMES, type IoKind } from '../io/backend.js';
import { datapathTable } from './datapath-table.js';
import { readRoutes, type RouteRead } from './routes.js';
import type { Route } from '../engine/next-hop.js';
import { RouteWatch } from './route-watch.js';
import { createLogger, droppedLogLines, type Logger } from './logging.js';
import { parseListen, renderMetrics, serveMetrics } from './metrics.js';
import { FLAG_PENDING, FLAG_STOP, FLAG_TRACE, type FromWorker, type Snapshot, type ToWorker, type TraceRecord, type WorkerInit, type WorkerReady } from './worker-protocol.js';

export interface RunOptions {
  iface: string;
  insideIface?: string;
  rules?: string;
  keepalived?: string;
  marks?: string;
  io: IoKind;
  mode: 'mmsg' | 'ring' | 'ringrx';
  /** afpacket ring size in frames. */
  ringFrames: number;
  maxConns: number;
  socket: string;
  metrics?: string;
  batch: number;
  neigh: string[];
  logLevel?: string;
  /** Leave interface offloads as they are (tests that check the kernel's view). */
  keepOffloads?: boolean;
  /** Nice value of the main thread once the datapath worker runs (Linux: per thread); 0 = leave it. */
  mainNice: number;
}

type HealthManager = import('../health/manager.js').HealthManager;
type KeepalivedModules = {
  cfg: typeof import('../control/keepalived/config.js');
  build: typeof import('../health/build.js');
};

function emptySnapshot(): Snapshot {
  return { services: {}, dests: {}, conns: [], counters: {}, neighbours: [] };
}

export function statsSourceOf(s: Snapshot): StatsSource {
  return {
    serviceStats: (id) => s.services[id] ?? zeroStats(),
    destCounters: (id) => s.dests[id] ?? { activeConns: 0, inactConns: 0, persistConns: 0, overloaded: false, stats: zeroStats() },
    connections: () => s.conns,
  };
}

/** VIPs and NAT real servers of a table, for the nft sets. */
export function guardStateOf(t: VirtualServerTable): GuardState {
  const vips: number[] = [];
  const rips: number[] = [];
  for (const s of t.services) {
    if (s.af !== 4) continue;
    const v = s.fwmark ? null : parseIPv4(s.addr);
    if (v !== null) vips.push(v);
    for (const d of s.dests) {
      if (d.fwd !== 'Masq' || d.af !== 4) continue;
      const r = parseIPv4(d.addr);
      if (r !== null) rips.push(r);
    }
  }
  return { vips, rips };
}

function ifaceAddr(ifname: string): number {
  try {
    const out = execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', ifname], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const links = JSON.parse(out) as Array<{ addr_info?: Array<{ local?: string }> }>;
    for (const l of links) for (const a of l.addr_info ?? []) if (a.local) return parseIPv4(a.local) ?? 0;
  } catch { /* no address */ }
  return 0;
}

const svcKey = (s: ServiceConfig) => `${s.af}|${serviceLabel(s)}`;
const destKey = (d: DestConfig) => `${d.af}|${d.addr}|${d.port}`;

/**
 * Changes `model` into `target` with the fewest commands: services and dests that did not change
 * are left alone (their ids, counters and conns stay). Returns the errors of refused commands.
 */
export function reconcile(model: ControlModel, target: VirtualServerTable, stats: StatsSource): string[] {
  const errors: string[] = [];
  const note = (e: string | null) => { if (e) errors.push(e); };
  model.batch(() => {
    const cur = model.snapshot();
    const want = new Map(target.services.map((s) => [svcKey(s), s]));
    const have = new Map(cur.services.map((s) => [svcKey(s), s]));
    for (const [k, s] of have) if (!want.has(k)) note(model.deleteService(s, stats));
    for (const [k, s] of want) {
      const old = have.get(k);
      if (!old) {
        note(model.addService(s, stats));
        for (const d of [...s.dests].reverse()) note(model.changeDest('add', s, d, stats));
        continue;
      }
      if (old.sched !== s.sched || old.flags !== s.flags || old.timeoutS !== s.timeoutS || old.netmask !== s.netmask || old.pe !== s.pe) {
        note(model.addService(s, stats, true));
      }
      const wantD = new Map(s.dests.map((d) => [destKey(d), d]));
      const haveD = new Map(old.dests.map((d) => [destKey(d), d]));
      for (const [dk, d] of haveD) if (!wantD.has(dk)) note(model.changeDest('delete', s, d, stats));
      for (const d of [...s.dests].reverse()) {
        const od = haveD.get(destKey(d));
        if (!od) note(model.changeDest('add', s, d, stats));
        else if (od.weight !== d.weight || od.fwd !== d.fwd || od.uThreshold !== d.uThreshold || od.lThreshold !== d.lThreshold
          || od.tunType !== d.tunType || od.tunPort !== d.tunPort || od.tunFlags !== d.tunFlags) note(model.changeDest('edit', s, d, stats));
      }
    }
  });
  return errors;
}

export class Daemon {
  readonly opts: RunOptions;
  readonly log: Logger;
  readonly model: ControlModel;
  private worker: DatapathHandle | null = null;
  private workerExited = false;
  private readonly flags = new Int32Array(new SharedArrayBuffer(16));
  private seq = 0;
  private readonly waiting = new Map<number, (m: FromWorker) => void>();
  private readonly traceClients = new Set<Socket>();
  private server: Server | null = null;
  private metricsServer: HttpServer | null = null;
  private guard: VipGuard | null = null;
  private health: HealthManager | null = null;
  /** --keepalived: the loader and health modules (loaded on start), and the problems already accepted. */
  private ka: KeepalivedModules | null = null;
  private kaAccepted = new Set<string>();
  private ready: WorkerReady | null = null;
  private lastSnapshot: Snapshot = emptySnapshot();
  private rateTimer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | null = null;
  private guardChain: Promise<unknown> = Promise.resolve();
  private routeWatch: RouteWatch | null = null;
  /** The routes the worker has (JSON), so a route change that changes nothing uvs uses is ignored. */
  private routesSent = '';
  /** The newest table not yet sent to the worker (changes of one event-loop turn go as one). */
  private unsentTable: VirtualServerTable | null = null;
  private exitResolve: (() => void) | null = null;
  readonly exited: Promise<void>;

  constructor(opts: RunOptions) {
    this.opts = opts;
    this.log = createLogger(opts.logLevel);
    this.model = new ControlModel({ program: 'ipvsadm' });
    this.exited = new Promise((r) => { this.exitResolve = r; });
  }

  get ifaces(): string[] {
    return this.opts.insideIface ? [this.opts.iface, this.opts.insideIface] : [this.opts.iface];
  }

  /** Loads the configuration files into the model; throws with every problem when one is broken. */
  private loadConfig(): void {
    const o = this.opts;
    if (o.rules) {
      const text = readFileSync(o.rules, 'utf8');
      const { table, errors } = parseRulesFile(text, o.rules);
      if (errors.length) throw new Error(`refusing ${o.rules}:\n  ${errors.join('\n  ')}`);
      const e = reconcile(this.model, table, statsSourceOf(emptySnapshot()));
      if (e.length) throw new Error(`refusing ${o.rules}:\n  ${e.join('\n  ')}`);
    }
    if (o.marks) {
      const { rules, errors } = parseMarkRules(readFileSync(o.marks, 'utf8'), o.marks);
      if (errors.length) throw new Error(`refusing ${o.marks}:\n  ${errors.join('\n  ')}`);
      this.model.setMarks(rules);
    }
  }

  private async startHealth(): Promise<void> {
    const file = this.opts.keepalived!;
    let cfgMod: typeof import('../control/keepalived/config.js');
    let buildMod: typeof import('../health/build.js');
    try {
      cfgMod = await import('../control/keepalived/config.js');
      buildMod = await import('../health/build.js');
    } catch (err) {
      throw new Error(`--keepalived: the keepalived loader or health manager is not available in this build (${err instanceof Error ? err.message : String(err)})`);
    }
    this.ka = { cfg: cfgMod, build: buildMod };
    const cfg = cfgMod.loadKeepalivedFile(file);
    for (const p of cfg.problems) this.log.warn({ file }, p);
    if (cfg.virtualServers.length === 0) throw new Error(`refusing ${file}: no virtual_server${cfg.problems.length ? `:\n  ${cfg.problems.join('\n  ')}` : ''}`);
    const stats = () => statsSourceOf(this.lastSnapshot);
    const { manager, problems } = buildMod.createHealthManager(cfg, {
      editor: { execute: (argv: string[]) => this.model.execute(argv, '', stats()) },
      logger: { info: (o, m) => this.log.info(o, m), warn: (o, m) => this.log.warn(o, m) },
    });
    for (const p of problems) this.log.warn({ file }, p);
    // What a SIGHUP will not refuse again: the problems this file already had (see reloadHealthManager()).
    this.kaAccepted = new Set([...cfg.problems, ...problems].map(buildMod.problemKey));
    this.health = manager;
    // The initial -A/-a commands of every virtual and real server reach the datapath as one table.
    this.model.batch(() => manager.start());
  }

  async start(): Promise<void> {
    const o = this.opts;
    this.loadConfig();
    // Before touching offloads or nftables: every interface must exist.
    for (const i of this.ifaces) if (!existsSync(`/sys/class/net/${i}`) || i.includes('/')) throw new Error(`no such interface '${i}'`);
    this.guard = new VipGuard(this.ifaces);
    if (!o.keepOffloads) {
      const notes = await this.guard.disableOffloads();
      for (const n of notes) this.log.debug({ note: n }, 'offload unchanged');
    }
    await this.guard.install(guardStateOf(this.model.current as VirtualServerTable));
    try {
      await this.startWorker();
    } catch (err) {
      await this.guard.remove();
      await this.guard.restoreOffloads();
      throw err;
    }
    this.model.onChange((table) => this.tableChanged(table));
    this.lowerMainPriority();
    this.watchRoutes();
    if (o.keepalived) await this.startHealth();
    await this.listenControl();
    if (o.metrics) {
      const l = parseListen(o.metrics);
      if (!l) throw new Error(`--metrics: expected HOST:PORT, got '${o.metrics}'`);
      this.metricsServer = await serveMetrics(l.host, l.port, () => this.metricsText());
      this.log.info({ host: l.host, port: l.port }, 'metrics listening');
    }
    this.rateTimer = setInterval(() => {
      void this.snapshot(false).then((s) => this.model.tickRates(statsSourceOf(s)), () => undefined);
    }, 2000);
    this.rateTimer.unref();
    this.log.info({ ifaces: this.ifaces, io: o.io, mode: o.mode, services: this.model.current.services.length, socket: o.socket }, 'uvs running');
  }

  private startWorker(): Promise<void> {
    const o = this.opts;
    const portAddrs = this.ifaces.map(ifaceAddr);
    const neigh: WorkerInit['neigh'] = [];
    for (const n of o.neigh) {
      const [ip, mac] = n.split('=');
      const a = ip ? parseIPv4(ip) : null;
      if (a === null || !mac || !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) throw new Error(`--neigh: expected IP=MAC, got '${n}'`);
      neigh.push({ ip: a, mac });
    }
    const init: WorkerInit & { uvsDatapath: true } = {
      ifaces: this.ifaces, io: o.io, mode: o.mode, ringFrames: o.ringFrames, maxConns: o.maxConns, addr: portAddrs[0] ?? 0, portAddrs,
      table: this.forwardedPart(this.model.snapshot()), flags: this.flags.buffer as SharedArrayBuffer, batch: o.batch, neigh, uvsDatapath: true,
      routes: this.useRoutes(readRoutes(this.ifaces), 'start'),
    };
    const w: DatapathHandle = o.io === 'pcap' ? new InlineDatapath(init) : new Worker(new URL('./datapath-worker.js', import.meta.url), { workerData: init });
    this.worker = w;
    return new Promise((resolve, reject) => {
      let settled = false;
      let failed = false;
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          this.ready = m;
          settled = true;
          this.log.info({ ports: m.ports }, 'datapath ready');
          resolve();
        } else if (m.type === 'error') {
          settled = true;
          failed = true;
          reject(new Error(m.message));
        } else {
          this.onWorker(m);
        }
      });
      w.on('error', (err) => {
        this.log.error({ err: err.message }, 'datapath worker failed');
        if (!settled) { settled = true; reject(err); }
        else void this.stop(1);
      });
      w.on('exit', (code) => {
        this.workerExited = true;
        if (!settled) { settled = true; reject(new Error(`datapath worker exited (${code})`)); }
        else if (!this.stopping && !failed) { this.log.error({ code }, 'datapath worker exited'); void this.stop(1); }
      });
    });
  }

  private onWorker(m: FromWorker): void {
    switch (m.type) {
      case 'applied':
      case 'snapshot': {
        const cb = this.waiting.get(m.seq);
        if (cb) { this.waiting.delete(m.seq); cb(m); }
        if (m.type === 'applied' && m.errors.length) this.log.error({ errors: m.errors }, 'datapath refused the table');
        break;
      }
      case 'trace':
        this.sendTrace(m.records, m.skipped);
        break;
      case 'log':
        this.log[m.level](m.fields ?? {}, m.msg);
        break;
      case 'stopped':
        this.log.info({ counters: m.counters }, 'datapath stopped');
        break;
      default:
        break;
    }
  }

  /** Posts a control message; the worker reads it between batches. */
  private toWorker(msg: ToWorker): void {
    if (!this.worker) return;
    // A table changed earlier in this turn goes first, so requests see it (e.g. uvsadm -a then -L).
    if (msg.type !== 'table') this.flushTable();
    this.worker.postMessage(msg);
    Atomics.store(this.flags, FLAG_PENDING, 1);
  }

  private request<T extends FromWorker>(msg: ToWorker, timeoutMs = 2000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(msg.seq); reject(new Error('datapath did not answer')); }, timeoutMs);
      this.waiting.set(msg.seq, (m) => { clearTimeout(timer); resolve(m as T); });
      this.toWorker(msg);
    });
  }

  async snapshot(conns: boolean): Promise<Snapshot> {
    if (!this.worker) return this.lastSnapshot;
    const m = await this.request<{ type: 'snapshot'; seq: number; snapshot: Snapshot }>({ type: 'snapshot', seq: ++this.seq, conns });
    this.lastSnapshot = m.snapshot;
    return m.snapshot;
  }

  /** What the datapath gets of the table (IPv4 only); logs what it will not forward. */
  private forwardedPart(table: VirtualServerTable): VirtualServerTable {
    const { table: forwarded, notForwarded } = datapathTable(table);
    if (notForwarded.length) this.log.warn({ notForwarded }, 'IPv6 services and dests are kept in the table but not forwarded (IPv4 datapath)');
    return forwarded;
  }

  /**
   * Model changes arrive one per command; a burst (1,000 real servers added at start, or failing
   * together) would otherwise send 1,000 whole tables. The newest one goes at the end of the turn.
   */
  private tableChanged(table: VirtualServerTable): void {
    const first = this.unsentTable === null;
    this.unsentTable = table;
    if (first) setImmediate(() => this.flushTable());
  }

  private flushTable(): void {
    const table = this.unsentTable;
    if (!table) return;
    this.unsentTable = null;
    this.pushTable(table);
  }

  /**
   * The datapath worker and the main thread (health checks, control, metrics) may share a core;
   * at equal priority the checks' bursts delay the worker long enough to overflow its rx ring
   * (bench/RESULTS.md, "Datapath throughput while 1,000 real servers are checked"). On Linux the
   * nice value is per thread, and the worker, started before this, keeps its own.
   */
  private lowerMainPriority(): void {
    const nice = this.opts.mainNice;
    if (!nice || this.opts.io === 'pcap') return; // pcap: the datapath runs on this thread
    try {
      setPriority(0, nice);
      this.log.info({ nice }, 'main thread priority lowered below the datapath worker');
    } catch (err) {
      this.log.warn({ nice, err: err instanceof Error ? err.message : String(err) }, 'could not change the main thread priority');
    }
  }

  private pushTable(table: VirtualServerTable): void {
    this.toWorker({ type: 'table', table: this.forwardedPart(table), seq: ++this.seq });
    const state = guardStateOf(table);
    this.guardChain = this.guardChain.then(() => this.guard?.update(state)).catch((err: unknown) => {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'nft update failed');
    });
    this.log.info({ services: table.services.length, dests: table.services.reduce((n, s) => n + s.dests.length, 0) }, 'table changed');
  }

  private verdictsAndDrops(): { verdicts: Record<string, number>; drops: Record<string, number> } {
    const verdicts: Record<string, number> = {};
    const drops: Record<string, number> = {};
    if (!this.ready) return { verdicts, drops };
    // Names are the engine's; read lazily so this file does not pull the engine into the main thread early.
    const v = new Float64Array(this.ready.stats.verdicts);
    const d = new Float64Array(this.ready.stats.drops);
    const names = ENGINE_NAMES;
    v.forEach((x, i) => { verdicts[names.verdicts[i] ?? String(i)] = x; });
    d.forEach((x, i) => { if (x) drops[names.drops[i] ?? String(i)] = x; });
    return { verdicts, drops };
  }

  private async metricsText(): Promise<string> {
    const snapshot = await this.snapshot(false);
    return renderMetrics({ table: this.model.snapshot(), snapshot, ...this.verdictsAndDrops(), uptimeS: Math.floor((Date.now() - this.startedAt) / 1000) });
  }

  private async listenControl(): Promise<void> {
    const path = this.opts.socket;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (existsSync(path)) {
      // A socket left by a crashed run: refuse if something still answers on it.
      const alive = await new Promise<boolean>((resolve) => {
        const c = createConnection(path);
        c.once('connect', () => { c.destroy(); resolve(true); });
        c.once('error', () => resolve(false));
      });
      if (alive) throw new Error(`control socket ${path} is in use by another uvs run`);
      unlinkSync(path);
    }
    const oldMask = process.umask(0o177);
    try {
      this.server = createServer((socket) => this.onControl(socket));
      await new Promise<void>((resolve, reject) => {
        this.server!.once('error', reject);
        this.server!.listen(path, () => resolve());
      });
    } finally {
      process.umask(oldMask);
    }
    chmodSync(path, 0o600);
  }

  private onControl(socket: Socket): void {
    // Listings need current counters (and -L -c the conn table): on the first request line, fetch
    // a snapshot from the worker, then hand the connection to the protocol handler. Later requests
    // on the same connection see the counters of the most recent snapshot.
    const statsProxy: StatsSource = {
      serviceStats: (id) => statsSourceOf(this.lastSnapshot).serviceStats(id),
      destCounters: (id) => statsSourceOf(this.lastSnapshot).destCounters(id),
      connections: () => this.lastSnapshot.conns,
    };
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      const text = chunk.toString();
      const conns = /"-[a-zA-Z]*c[a-zA-Z]*"|"--connection"/.test(text);
      void this.snapshot(conns).catch(() => undefined).finally(() => {
        socket.unshift(chunk);
        handleControlConnection(socket, this.model, statsProxy, {
          status: () => this.status(),
          handlers: { trace: (_req, s) => this.addTraceClient(s) },
        });
        socket.resume();
      });
    });
    socket.on('error', () => undefined);
  }

  status(): StatusReply {
    const snap = this.lastSnapshot;
    return {
      pid: process.pid,
      iface: this.opts.iface,
      insideIface: this.opts.insideIface ?? null,
      io: this.opts.io,
      mode: this.opts.mode,
      uptimeS: Math.floor((Date.now() - this.startedAt) / 1000),
      ports: this.ready?.ports ?? [],
      services: this.model.current.services.length,
      counters: { ...snap.counters, ...this.verdictsAndDrops() },
      neighbours: snap.neighbours,
    };
  }

  private addTraceClient(s: Socket): void {
    this.traceClients.add(s);
    Atomics.store(this.flags, FLAG_TRACE, 1);
    const done = () => {
      this.traceClients.delete(s);
      if (this.traceClients.size === 0) Atomics.store(this.flags, FLAG_TRACE, 0);
    };
    s.on('close', done);
    s.on('error', done);
    this.log.info({ clients: this.traceClients.size }, 'trace client attached');
  }

  private sendTrace(records: TraceRecord[], skipped: number): void {
    if (this.traceClients.size === 0) return;
    let text = records.map((r) => JSON.stringify(r)).join('\n');
    if (skipped) text += `${text ? '\n' : ''}${JSON.stringify({ skipped })}`;
    if (!text) return;
    for (const c of this.traceClients) if (!c.destroyed && c.writableLength < 4 << 20) c.write(text + '\n');
  }

  /**
   * SIGHUP: re-read the rules, keepalived and marks files. Every file is read and checked before
   * anything changes: one broken file refuses the whole reload (logged with the reasons) and the
   * running table, checkers and marks stay as they were. Then only what differs changes:
   * --rules through reconcile(); --keepalived through the health manager's reload (services,
   * real servers and checkers that stay keep their state, a down real server stays down), in one
   * model batch so the datapath gets one new table. One 'reloaded' line says what changed.
   */
  async reload(): Promise<boolean> {
    const o = this.opts;
    const refuse = (file: string, errors: string[], what: string): false => {
      this.log.error({ file, errors }, `reload refused: ${what}; running configuration kept`);
      return false;
    };
    try {
      let table: VirtualServerTable | null = null;
      if (o.rules) {
        const r = parseRulesFile(readFileSync(o.rules, 'utf8'), o.rules);
        if (r.errors.length) return refuse(o.rules, r.errors, 'the rules file is broken');
        table = r.table;
      }
      let marks: ReturnType<typeof parseMarkRules>['rules'] | null = null;
      if (o.marks) {
        const m = parseMarkRules(readFileSync(o.marks, 'utf8'), o.marks);
        if (m.errors.length) return refuse(o.marks, m.errors, 'the marks file is broken');
        marks = m.rules;
      }
      const done: Record<string, unknown> = {};
      if (o.keepalived) {
        if (!this.ka || !this.health) return refuse(o.keepalived, ['health checking is not running'], 'nothing to reload');
        const { cfg: cfgMod, build } = this.ka;
        const health = this.health;
        const cfg = cfgMod.loadKeepalivedFile(o.keepalived);
        // Checked and applied in one step; the table changes of an applied reload go out as one.
        const out = this.model.batch(() => build.reloadHealthManager(health, cfg, this.kaAccepted));
        if (out.refused.length) return refuse(o.keepalived, out.refused, 'the keepalived config has problems the running one did not have');
        this.kaAccepted = out.accepted;
        const sm = out.summary!;
        Object.assign(done, {
          file: o.keepalived,
          services: { added: sm.servicesAdded, removed: sm.servicesRemoved, changed: sm.servicesChanged, unchanged: sm.servicesUnchanged },
          realServers: { added: sm.realServersAdded, removed: sm.realServersRemoved, changed: sm.realServersChanged },
          checkers: { added: sm.checkersAdded, removed: sm.checkersRemoved, kept: sm.checkersKept },
          ...(out.problems.length ? { knownProblems: out.problems.length } : {}),
        });
      }
      if (o.rules && table) {
        const before = this.model.snapshot().services.length;
        const e = reconcile(this.model, table, statsSourceOf(this.lastSnapshot));
        if (e.length) this.log.error({ file: o.rules, errors: e }, 'reload: some changes were refused');
        Object.assign(done, { file: o.rules, services: { before, after: this.model.current.services.length } });
      }
      if (o.marks && marks) {
        const changed = JSON.stringify(marks) !== JSON.stringify(this.model.current.marks);
        if (changed) this.model.setMarks(marks);
        Object.assign(done, { marks: { rules: marks.length, changed } });
      }
      this.log.info(done, 'reloaded');
      return true;
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'reload refused; running configuration kept');
      return false;
    }
  }

  /** Clean stop: worker (sockets), health checks, nft table, control socket. Idempotent. */
  stop(code = 0): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.log.info({ code }, 'stopping');
      if (this.rateTimer) clearInterval(this.rateTimer);
      this.routeWatch?.stop();
      if (this.health) await this.health.stop().catch(() => undefined);
      for (const c of this.traceClients) c.end();
      if (this.worker && !this.workerExited) {
        const w = this.worker;
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        Atomics.store(this.flags, FLAG_STOP, 1);
        const t = setTimeout(() => void w.terminate(), 2000);
        await exited;
        clearTimeout(t);
      }
      this.worker = null;
      await this.guardChain.catch(() => undefined);
      await this.guard?.remove();
      await this.guard?.restoreOffloads();
      if (this.metricsServer) this.metricsServer.close();
      if (this.server) {
        this.server.close();
        try { unlinkSync(this.opts.socket); } catch { /* gone */ }
      }
      if (droppedLogLines()) this.log.warn({ dropped: droppedLogLines() }, 'log lines were dropped: stderr was not read fast enough');
      process.exitCode = code;
      this.exitResolve?.();
    })();
    return this.stopping;
  }

  installSignals(): void {
    process.on('SIGTERM', () => void this.stop(0));
    process.on('SIGINT', () => void this.stop(0));
    process.on('SIGHUP', () => void this.reload());
    process.on('SIGHUP', () => this.toWorker({ type: 'routes', seq: ++this.seq, routes: this.useRoutes(readRoutes(this.ifaces), 'SIGHUP') }));
  }

  /** Route and address changes in the namespace reach the datapath without a SIGHUP (route-watch.ts). */
  private watchRoutes(): void {
    this.routeWatch = new RouteWatch(() => {
      const read = readRoutes(this.ifaces);
      if (JSON.stringify(read.routes) === this.routesSent) return; // nothing uvs uses changed
      this.toWorker({ type: 'routes', seq: ++this.seq, routes: this.useRoutes(read, 'changed') });
    });
    this.routeWatch.start();
  }

  /**
   * The routes the worker is about to get (routes.ts; null: every dest on-link): remembered for
   * the route watch, logged once with why they were read (start, SIGHUP, changed).
   */
  private useRoutes(read: RouteRead, why: 'start' | 'SIGHUP' | 'changed'): Route[] | null {
    const { routes, errors } = read;
    this.routesSent = JSON.stringify(routes);
    for (const e of errors) this.log.warn({ err: e }, 'routes: entry skipped');
    if (routes) this.log.info({ routes: routes.length, why }, 'routes read: real servers are reached through their route\'s gateway');
    else this.log.warn({ ifaces: this.ifaces, why }, 'no IPv4 route uses the interfaces uvs drives: every real server is treated as on-link');
    return routes;
  }
}

/** What the daemon needs from its datapath: a Worker, or the same code on this thread. */
interface DatapathHandle {
  postMessage(m: ToWorker): void;
  on(ev: 'message', cb: (m: FromWorker) => void): unknown;
  on(ev: 'error', cb: (err: Error) => void): unknown;
  on(ev: 'exit', cb: (code: number) => void): unknown;
  once(ev: 'exit', cb: (code: number) => void): unknown;
  terminate(): Promise<number> | void;
}

/**
 * The datapath on the main thread, for --io pcap: the `cap` binding registers its poll handle on
 * the process's main loop and crashes when loaded in a worker thread. Same code and protocol (a
 * MessageChannel in place of the worker's port); the event loop is shared with control.
 */
class InlineDatapath extends EventEmitter implements DatapathHandle {
  private readonly mine: MessagePort;
  constructor(init: WorkerInit) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.mine = port1;
    port1.on('message', (m: FromWorker) => this.emit('message', m));
    void import('./datapath-worker.js').then(
      (m) => m.runDatapath(init, port2, () => setImmediate(() => { port1.close(); this.emit('exit', 0); })),
      (err: unknown) => this.emit('error', err instanceof Error ? err : new Error(String(err))),
    );
  }

  postMessage(m: ToWorker): void {
    this.mine.postMessage(m);
  }

  terminate(): void {
    this.emit('exit', 1);
  }
}

const ENGINE_NAMES: { verdicts: readonly string[]; drops: readonly string[] } = { verdicts: [], drops: [] };

/** Loads the engine's names for verdicts and drop reasons (main thread, once). */
export async function loadEngineNames(): Promise<void> {
  const e = await import('../engine/engine.js');
  ENGINE_NAMES.verdicts = e.VERDICT_NAMES;
  ENGINE_NAMES.drops = e.ENGINE_DROP_NAMES;
}

export function defaultOptions(): RunOptions {
  return { iface: '', io: 'afpacket', mode: 'ringrx', ringFrames: DEFAULT_RING_FRAMES, maxConns: 1 << 20, socket: DEFAULT_SOCKET_PATH, batch: 64, neigh: [], mainNice: 10 };
}
