// The health check manager: keepalived's check scheduler and ipwrapper.c state machine.
//
// Every checker runs on its own timer. A run is a Promise bounded by a hard timeout
// (checker.timeoutMs + margin); one that does not settle by then is aborted, logged and counted
// as a hung failure. After each result, as tcp_epilog()/check_update_svr_checker_state():
//   success, or failure with retry_it >= retry, or failure of a checker already down:
//       next run after delay_loop, retry_it = 0; a success of a down checker, or a failure of an
//       up one, changes the checker's state (update_svr_checker_state());
//   other failures: next run after delay_before_retry, retry_it++.
// So a real server goes DOWN after retry+1 consecutive failures and comes back on the first
// success. A real server is alive when none of its checkers has failed (num_failed_checkers ==
// 0). Alive changes go to the table via ipvsadm commands (perform_svr_state()): add (`-a`), or
// remove (`-d`); with inhibit_on_failure the dest stays and its weight goes to 0 (`-e -w 0`)
// and back. Real servers start alive unless their checkers are in alpha mode.
// Quorum (update_quorum_state()): the sum of weights of alive real servers against quorum with
// hysteresis (gain at >= quorum + hysteresis, lose below quorum - hysteresis); losing it runs
// quorum_down and, with a sorry_server, swaps every alive real server out for the sorry server;
// gaining it runs quorum_up and swaps them back. MISC_CHECK misc_dynamic sets weights
// (update_svr_wgt()). notify_up/notify_down run on every alive change, never awaited. omega:
// at stop, notify_down for every alive real server and quorum_down for the service.
// Checks never touch the datapath: the only output is TableEditor.execute().

import type { DestConfig, ServiceConfig } from '../model/config.js';
import { serviceLabel } from '../model/config.js';
import type { CheckResult, ParsedChecker } from './checker.js';
import { runScript as defaultRunScript, type ScriptRunner, type ScriptOutcome } from './scripts.js';
import { addDestArgv, addServiceArgv, delDestArgv, delServiceArgv, editDestArgv, type TableEditor } from './table-editor.js';
import { realTimers, type HealthTimers } from './timers.js';
import { CheckerState, RealServerState, VirtualServerState, type VirtualServerSpec } from './state.js';

/** pino-compatible: pino's logger satisfies it. */
export interface HealthLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silentLogger: HealthLogger = { info: () => {}, warn: () => {} };

export interface HealthOptions {
  editor: TableEditor;
  logger?: HealthLogger;
  timers?: HealthTimers;
  /** Warmup jitter source in [0, 1); keepalived uses random(). */
  random?: () => number;
  runScript?: ScriptRunner;
  /** Bound on notify/quorum scripts (killed after). Default 10 s. */
  scriptTimeoutMs?: number;
  /** Added to a checker's own timeout before it is declared hung. Default 1 s. */
  hungMarginMs?: number;
  /** Create the services (`-A`) at start and delete them at stop, as keepalived. Default true. */
  manageServices?: boolean;
  /** keepalived's BOOTSTRAP_DELAY before the first check (plus warmup jitter). Default 1 s. */
  bootstrapDelayMs?: number;
}

export interface RealServerSpec {
  dest: DestConfig;
  inhibit: boolean;
  notifyUp: string;
  notifyDown: string;
  checkers: ParsedChecker[];
}

export interface VirtualServerInput extends VirtualServerSpec {
  realServers: RealServerSpec[];
}

export interface CheckerStatus {
  type: string;
  target: string;
  up: boolean;
  hasRun: boolean;
  retryIt: number;
  retry: number;
  delayLoopMs: number;
  delayBeforeRetryMs: number;
  running: boolean;
  lastOk: boolean;
  lastReason: string;
}

export interface RealServerStatus {
  dest: string;
  alive: boolean;
  inTable: boolean;
  tableWeight: number;
  weight: number;
  effectiveWeight: number;
  inhibit: boolean;
  failedCheckers: number;
  checks: number;
  failures: number;
  hung: number;
  transitions: number;
  lastReason: string;
  checkers: CheckerStatus[];
}

export interface VirtualServerStatus {
  service: string;
  quorum: number;
  hysteresis: number;
  quorumUp: boolean;
  liveWeight: number;
  sorryServer: { dest: string; active: boolean } | null;
  realServers: RealServerStatus[];
}

export interface HealthStatus {
  running: boolean;
  virtualServers: VirtualServerStatus[];
}

function buildStates(input: VirtualServerInput[]): VirtualServerState[] {
  return input.map((v) => {
    const vs = new VirtualServerState(v, v.label ?? serviceLabel(v.service));
    for (const r of v.realServers) {
      const rs = new RealServerState(vs, r.dest, r.inhibit, r.notifyUp, r.notifyDown);
      for (const pc of r.checkers) rs.checkers.push(new CheckerState(rs, pc.checker, pc.timing));
      vs.rs.push(rs);
    }
    return vs;
  });
}

/** What a reload changed (counts), for the daemon's one 'reloaded' log line. */
export interface ReloadSummary {
  servicesAdded: number;
  servicesRemoved: number;
  /** Virtual servers that stay with any difference: service, quorum, sorry server, real servers or checkers. */
  servicesChanged: number;
  servicesUnchanged: number;
  realServersAdded: number;
  realServersRemoved: number;
  /** Real servers that stay with a different dest, inhibit, scripts or checkers. */
  realServersChanged: number;
  checkersAdded: number;
  checkersRemoved: number;
  /** Checkers that carry their state over (same kind and target); some may have new parameters. */
  checkersKept: number;
}

/** Forwarding method, thresholds, tunnel (and weight when asked) differ: an -e is due. */
function destParamsDiffer(a: DestConfig, b: DestConfig, withWeight: boolean): boolean {
  return (withWeight && a.weight !== b.weight) || a.fwd !== b.fwd || a.uThreshold !== b.uThreshold || a.lThreshold !== b.lThreshold
    || a.tunType !== b.tunType || a.tunPort !== b.tunPort || a.tunFlags !== b.tunFlags;
}

const timingKey = (cs: CheckerState): string => `${JSON.stringify(cs.timing)}|${cs.checker.timeoutMs}`;

/** Old and new checkers of a real server paired as migrateRealServer() pairs them (kind and target, in order). */
function pairCheckers(prev: CheckerState[], next: CheckerState[]): { kept: Array<[CheckerState, CheckerState]>; added: number; removed: number } {
  const unused = [...prev];
  const kept: Array<[CheckerState, CheckerState]> = [];
  for (const cs of next) {
    const i = unused.findIndex((o) => o.checker.type === cs.checker.type && o.checker.target === cs.checker.target);
    if (i >= 0) kept.push([unused.splice(i, 1)[0], cs]);
  }
  return { kept, added: next.length - kept.length, removed: unused.length };
}

/** Counts what reload(next) changes against prev (pure: no state is touched). */
export function summarizeReload(prev: VirtualServerState[], next: VirtualServerState[]): ReloadSummary {
  const sum: ReloadSummary = {
    servicesAdded: 0, servicesRemoved: 0, servicesChanged: 0, servicesUnchanged: 0,
    realServersAdded: 0, realServersRemoved: 0, realServersChanged: 0,
    checkersAdded: 0, checkersRemoved: 0, checkersKept: 0,
  };
  const nCheckers = (vs: VirtualServerState) => vs.rs.reduce((n, rs) => n + rs.checkers.length, 0);
  const old = new Map(prev.map((vs) => [vs.label, vs]));
  const nextLabels = new Set(next.map((vs) => vs.label));
  for (const vs of prev) {
    if (nextLabels.has(vs.label)) continue;
    sum.servicesRemoved++;
    sum.realServersRemoved += vs.rs.length;
    sum.checkersRemoved += nCheckers(vs);
  }
  for (const vs of next) {
    const p = old.get(vs.label);
    if (!p) {
      sum.servicesAdded++;
      sum.realServersAdded += vs.rs.length;
      sum.checkersAdded += nCheckers(vs);
      continue;
    }
    const a = p.spec;
    const b = vs.spec;
    let changed = a.service.sched !== b.service.sched || a.service.flags !== b.service.flags || a.service.timeoutS !== b.service.timeoutS
      || a.service.netmask !== b.service.netmask || a.service.pe !== b.service.pe
      || a.quorum !== b.quorum || a.hysteresis !== b.hysteresis || a.quorumUp !== b.quorumUp || a.quorumDown !== b.quorumDown || a.omega !== b.omega
      || p.services.map((s) => serviceLabel(s)).join(',') !== vs.services.map((s) => serviceLabel(s)).join(',')
      || (p.sorry?.label ?? '') !== (vs.sorry?.label ?? '') || (p.sorry !== null && vs.sorry !== null && (p.sorry.inhibit !== vs.sorry.inhibit || destParamsDiffer(p.sorry.dest, vs.sorry.dest, true)));
    const oldRs = new Map(p.rs.map((rs) => [rs.label, rs]));
    const nextRs = new Set(vs.rs.map((rs) => rs.label));
    for (const rs of p.rs) {
      if (nextRs.has(rs.label)) continue;
      changed = true;
      sum.realServersRemoved++;
      sum.checkersRemoved += rs.checkers.length;
    }
    for (const rs of vs.rs) {
      const o = oldRs.get(rs.label);
      if (!o) {
        changed = true;
        sum.realServersAdded++;
        sum.checkersAdded += rs.checkers.length;
        continue;
      }
      const pair = pairCheckers(o.checkers, rs.checkers);
      sum.checkersAdded += pair.added;
      sum.checkersRemoved += pair.removed;
      sum.checkersKept += pair.kept.length;
      const rsChanged = pair.added > 0 || pair.removed > 0 || destParamsDiffer(o.dest, rs.dest, true) || o.inhibit !== rs.inhibit
        || o.notifyUp !== rs.notifyUp || o.notifyDown !== rs.notifyDown || pair.kept.some(([x, y]) => timingKey(x) !== timingKey(y));
      if (rsChanged) {
        sum.realServersChanged++;
        changed = true;
      }
    }
    if (changed) sum.servicesChanged++;
    else sum.servicesUnchanged++;
  }
  return sum;
}

export class HealthManager {
  /** Replaced as a whole by reload(). */
  vss: VirtualServerState[];
  private readonly editor: TableEditor;
  private readonly log: HealthLogger;
  private readonly timers: HealthTimers;
  private readonly random: () => number;
  private readonly runScriptFn: ScriptRunner;
  private readonly scriptTimeoutMs: number;
  private readonly hungMarginMs: number;
  private readonly manageServices: boolean;
  private readonly bootstrapDelayMs: number;
  private running = false;
  /** Scripts started and not yet finished (tests and shutdown may await them). */
  readonly scripts = new Set<Promise<ScriptOutcome>>();

  constructor(input: VirtualServerInput[], opts: HealthOptions) {
    this.editor = opts.editor;
    this.log = opts.logger ?? silentLogger;
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.runScriptFn = opts.runScript ?? defaultRunScript;
    this.scriptTimeoutMs = opts.scriptTimeoutMs ?? 10_000;
    this.hungMarginMs = opts.hungMarginMs ?? 1000;
    this.manageServices = opts.manageServices ?? true;
    this.bootstrapDelayMs = opts.bootstrapDelayMs ?? 1000;
    this.vss = buildStates(input);
  }

  /** init_services() then register_checkers_thread(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const vs of this.vss) this.initService(vs);
    for (const vs of this.vss) this.scheduleFirst(vs);
  }

  /** register_checkers_thread(): first run after BOOTSTRAP_DELAY + random share of warmup. */
  private scheduleFirst(vs: VirtualServerState): void {
    for (const rs of vs.rs) {
      for (const cs of rs.checkers) {
        cs.retired = false;
        const warm = cs.timing.warmupMs ? Math.floor(cs.timing.warmupMs * this.random()) : 0;
        cs.timer = this.timers.set(() => this.launch(cs), this.bootstrapDelayMs + warm);
      }
    }
  }

  private stopCheckers(vs: VirtualServerState): void {
    for (const rs of vs.rs) {
      for (const cs of rs.checkers) {
        if (cs.timer !== null) this.timers.clear(cs.timer);
        cs.timer = null;
        if (cs.running) cs.ac.abort(new Error('stopped'));
        cs.running = false;
        cs.retired = true;
      }
    }
  }

  /**
   * A new configuration while running (SIGHUP), as keepalived's reload (clear_diff_services(),
   * migrate_checkers()): virtual and real servers that are gone are removed from the table
   * (notify_down for alive ones); those that stay keep their state (alive, in the table,
   * effective weight, counters) and their checkers' state where a checker of the same kind
   * and target is still configured (its new parameters apply from its next run); new ones
   * start as at start-up. Every checker restarts after the bootstrap delay and warmup.
   * DIFF: keepalived keeps a checker's state only when all its parameters compare equal
   * (checker_funcs->compare); here the kind and target are enough, so a changed
   * connect_timeout, delay_loop or url does not bring a down real server back up untested.
   * Returns what changed, for the one 'reloaded' log line.
   */
  reload(input: VirtualServerInput[]): ReloadSummary {
    const next = buildStates(input);
    const summary = summarizeReload(this.vss, next);
    if (!this.running) {
      this.vss = next;
      return summary;
    }
    const old = new Map(this.vss.map((vs) => [vs.label, vs]));
    for (const vs of this.vss) this.stopCheckers(vs);
    for (const vs of this.vss) {
      if (!next.some((n) => n.label === vs.label)) this.clearService(vs);
    }
    for (const vs of next) {
      const prev = old.get(vs.label);
      if (prev) this.migrateService(prev, vs);
      else this.initService(vs);
    }
    this.vss = next;
    for (const vs of next) this.scheduleFirst(vs);
    return summary;
  }

  /** clear_service_vs(vs, false) */
  private clearService(vs: VirtualServerState): void {
    this.log.info({ service: vs.label }, `Removing Virtual Server ${vs.label}`);
    for (const rs of vs.rs) this.clearRealServer(rs);
    if (vs.sorry?.set) this.execAll(vs, (svc) => delDestArgv(svc, vs.sorry!.dest), `removing sorry server ${vs.sorry.label}`);
    if (vs.created) this.execAll(vs, (svc) => delServiceArgv(svc), `removing ${vs.label}`);
  }

  /** clear_service_rs(vs, rs, false): out of the table even when inhibited; notify_down if alive. */
  private clearRealServer(rs: RealServerState): void {
    const vs = rs.vs;
    if (rs.set) {
      this.log.info({ service: vs.label, dest: rs.label }, `Removing service ${rs.label} from VS ${vs.label} (no longer configured)`);
      this.execAll(vs, (svc) => delDestArgv(svc, rs.dest), `removing ${rs.label}`);
      rs.set = false;
      rs.tableWeight = -1;
    }
    if (!rs.alive) return;
    rs.alive = false;
    if (rs.notifyDown) void this.notify(rs.notifyDown, vs, rs.label, 'DOWN');
  }

  /** clear_diff_services() for a virtual server that stays: its members, -E, sorry server, real servers. */
  private migrateService(prev: VirtualServerState, vs: VirtualServerState): void {
    vs.quorumUp = prev.quorumUp;
    vs.created = prev.created;
    // clear_diff_vsg(): group members that are gone are deleted (with their dests); new members
    // are created here and get the dests below, once the real servers' state is known.
    const prevMembers = new Set(prev.services.map((s) => serviceLabel(s)));
    const nextMembers = new Set(vs.services.map((s) => serviceLabel(s)));
    for (const svc of prev.services) {
      if (nextMembers.has(serviceLabel(svc))) continue;
      this.log.info({ service: vs.label, member: serviceLabel(svc) }, `Removing ${serviceLabel(svc)} from VS ${vs.label} (no longer in the group)`);
      this.exec(delServiceArgv(svc), `removing ${serviceLabel(svc)}`);
    }
    const added = vs.services.filter((svc) => !prevMembers.has(serviceLabel(svc)));
    if (this.manageServices) {
      for (const svc of added) {
        const r = this.quiet(addServiceArgv(svc));
        if (r.code !== 0 && !/exist/i.test(r.stderr)) this.log.warn({ service: vs.label, stderr: r.stderr }, `cannot create ${serviceLabel(svc)}: ${r.stderr.trim()}`);
      }
    }
    const a = prev.spec.service;
    const b = vs.spec.service;
    if (a.sched !== b.sched || a.flags !== b.flags || a.timeoutS !== b.timeoutS || a.netmask !== b.netmask || a.pe !== b.pe) {
      for (const svc of vs.services) if (prevMembers.has(serviceLabel(svc))) this.exec(['-E', ...addServiceArgv(svc).slice(1)], `editing ${vs.label}`);
    }
    // Sorry server (clear_diff_s_srv()): kept when the same address, removed when changed or gone.
    if (prev.sorry && vs.sorry && prev.sorry.label === vs.sorry.label) {
      vs.sorry.alive = prev.sorry.alive;
      vs.sorry.set = prev.sorry.set;
      const s = vs.sorry;
      const p = prev.sorry;
      if (s.set && !s.alive && p.inhibit && !s.inhibit) {
        // No longer inhibited: a standing-by sorry server leaves the table.
        if (this.execAll(vs, (svc) => delDestArgv(svc, s.dest), `removing sorry server ${s.label}`)) s.set = false;
      } else if (s.set && s.alive && destParamsDiffer(p.dest, s.dest, true)) {
        // DIFF: keepalived keeps the old sorry server's weight and method until it is re-added.
        this.execAll(vs, (svc) => editDestArgv(svc, s.dest, s.dest.weight), `editing sorry server ${s.label}`);
      }
    } else if (prev.sorry?.set) {
      this.log.info({ service: vs.label, dest: prev.sorry.label }, `Removing sorry server ${prev.sorry.label} from VS ${vs.label}`);
      this.execAll(vs, (svc) => delDestArgv(svc, prev.sorry!.dest), `removing sorry server ${prev.sorry.label}`);
    }
    const oldRs = new Map(prev.rs.map((rs) => [rs.label, rs]));
    for (const rs of prev.rs) if (!vs.rs.some((n) => n.label === rs.label)) this.clearRealServer(rs);
    for (const rs of vs.rs) {
      const p = oldRs.get(rs.label);
      if (p) this.migrateRealServer(p, rs);
      else this.initRealServer(rs);
    }
    // New group members: every dest the others have, with the same weight.
    for (const svc of added) {
      for (const rs of vs.rs) if (rs.set) this.addOrEdit(svc, rs.dest, rs.tableWeight, false, `adding ${rs.label}`);
      if (vs.sorry?.set) this.addOrEdit(svc, vs.sorry.dest, vs.sorry.alive ? vs.sorry.dest.weight : 0, false, `adding sorry server ${vs.sorry.label}`);
    }
    // The sorry server that was standing in is gone: the alive real servers go back in.
    if (prev.sorry?.alive && !vs.sorry?.alive) this.performQuorumState(vs, true);
    this.updateQuorum(vs, true);
    if (vs.sorry && vs.sorry.inhibit && !vs.sorry.set) {
      if (this.execAll(vs, (svc) => addDestArgv(svc, vs.sorry!.dest, 0), `adding inhibited sorry server ${vs.sorry.label}`)) vs.sorry.set = true;
    }
  }

  /** migrate_checkers() and the real server part of clear_diff_rs(). */
  private migrateRealServer(p: RealServerState, rs: RealServerState): void {
    rs.alive = p.alive;
    rs.set = p.set;
    rs.tableWeight = p.tableWeight;
    rs.effectiveWeight = rs.iweight === p.iweight ? p.effectiveWeight : rs.iweight;
    Object.assign(rs.counters, p.counters);
    rs.lastChangeMs = p.lastChangeMs;
    rs.lastReason = p.lastReason;
    let anyRun = false;
    for (const [o, cs] of pairCheckers(p.checkers, rs.checkers).kept) {
      if (o.hasRun) cs.isUp = o.isUp;
      cs.hasRun = o.hasRun;
      cs.retryIt = o.retryIt && cs.timing.retry ? Math.min(o.retryIt, cs.timing.retry - 1) : 0;
      cs.lastExitCode = o.lastExitCode;
      cs.lastOk = o.lastOk;
      cs.lastReason = o.lastReason;
      anyRun ||= o.hasRun;
    }
    rs.numFailed = 0;
    for (const cs of rs.checkers) if (cs.hasRun && !cs.isUp) rs.numFailed++;
    // With a failed checker (or never checked and down), new checkers start failed under alpha
    // and one failure is enough for the others.
    if (rs.numFailed || (!rs.alive && !anyRun)) {
      for (const cs of rs.checkers) {
        if (cs.hasRun) continue;
        if (cs.timing.alpha && cs.isUp) {
          cs.isUp = false;
          rs.numFailed++;
        } else if (!cs.timing.alpha && !cs.isUp) cs.isUp = true;
        cs.retryIt = cs.timing.retry;
      }
    } else {
      for (const cs of rs.checkers) if (!cs.hasRun) cs.isUp = true;
    }
    const vs = rs.vs;
    if (!rs.numFailed && !rs.alive) this.performSvrState(rs, true, 'reload: no failed checker');
    else if (rs.numFailed && rs.set !== rs.inhibit) {
      if (rs.inhibit) this.addDest(rs, 0);
      else this.delDest(rs);
    } else if (rs.set) {
      // In the table: a new weight (alive and serving), forwarding method, thresholds or tunnel
      // is an -e, as clear_diff_rs(); an inhibited or stood-in dest keeps its weight.
      const serving = rs.alive && (vs.quorumUp || !vs.sorry || !vs.sorry.alive);
      const w = serving ? rs.effectiveWeight : rs.tableWeight;
      if (w !== rs.tableWeight || destParamsDiffer(p.dest, rs.dest, false)) this.addDest(rs, w);
    }
  }

  /**
   * Stop every checker (running probes are aborted). omega: notify_down for alive real servers
   * and quorum_down, as clear_services(). With manageServices the dests and services are
   * removed. Resolves when the omega scripts have finished (each bounded by its timeout).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const vs of this.vss) this.stopCheckers(vs);
    const pending: Promise<ScriptOutcome>[] = [];
    for (const vs of this.vss) {
      for (const rs of vs.rs) {
        if (this.manageServices && rs.set) this.execAll(vs, (svc) => delDestArgv(svc, rs.dest), `shutting down ${rs.label}`);
        rs.set = false;
        rs.tableWeight = -1;
        if (!rs.alive) continue;
        rs.alive = false;
        if (vs.spec.omega && rs.notifyDown) pending.push(this.notify(rs.notifyDown, vs, rs.label, 'DOWN'));
      }
      if (vs.sorry && vs.sorry.set && this.manageServices) this.execAll(vs, (svc) => delDestArgv(svc, vs.sorry!.dest), `removing sorry server ${vs.sorry.label}`);
      if (vs.sorry) {
        vs.sorry.alive = false;
        vs.sorry.set = false;
      }
      vs.quorumUp = false;
      if (vs.spec.omega && vs.spec.quorumDown) pending.push(this.notify(vs.spec.quorumDown, vs, '', 'DOWN'));
      if (this.manageServices && vs.created) this.execAll(vs, (svc) => delServiceArgv(svc), `removing ${vs.label}`);
      vs.created = false;
    }
    await Promise.all(pending);
  }

  status(): HealthStatus {
    return {
      running: this.running,
      virtualServers: this.vss.map((vs) => ({
        service: vs.label,
        quorum: vs.spec.quorum,
        hysteresis: vs.spec.hysteresis,
        quorumUp: vs.quorumUp,
        liveWeight: this.weighLive(vs),
        sorryServer: vs.sorry ? { dest: vs.sorry.label, active: vs.sorry.alive } : null,
        realServers: vs.rs.map((rs) => ({
          dest: rs.label,
          alive: rs.alive,
          inTable: rs.set,
          tableWeight: rs.tableWeight,
          weight: rs.iweight,
          effectiveWeight: rs.effectiveWeight,
          inhibit: rs.inhibit,
          failedCheckers: rs.numFailed,
          ...rs.counters,
          lastReason: rs.lastReason,
          checkers: rs.checkers.map((cs) => ({
            type: cs.checker.type,
            target: cs.checker.target,
            up: cs.isUp,
            hasRun: cs.hasRun,
            retryIt: cs.retryIt,
            retry: cs.timing.retry,
            delayLoopMs: cs.timing.delayLoopMs,
            delayBeforeRetryMs: cs.timing.delayBeforeRetryMs,
            running: cs.running,
            lastOk: cs.lastOk,
            lastReason: cs.lastReason,
          })),
        })),
      })),
    };
  }

  // ---- scheduling -------------------------------------------------------------------------

  private launch(cs: CheckerState): void {
    cs.timer = null;
    if (!this.running || cs.retired) return;
    const rs = cs.rs;
    rs.counters.checks++;
    cs.runs++;
    cs.startedMs = this.timers.now();
    if (cs.ac.signal.aborted) cs.ac = new AbortController();
    const ac = cs.ac;
    cs.running = true;
    const hardMs = cs.checker.timeoutMs + this.hungMarginMs;
    let settled = false;
    const hung = this.timers.set(() => {
      if (settled || cs.retired) return;
      settled = true;
      ac.abort(new Error('hung'));
      rs.counters.hung++;
      this.log.warn(
        { service: rs.vs.label, dest: rs.label, checker: cs.checker.type, timeoutMs: hardMs },
        `${cs.checker.type} on ${rs.label} hung: no result within ${hardMs} ms, aborted`,
      );
      this.onResult(cs, ac, { ok: false, reason: `hung: no result within ${hardMs} ms`, weight: null, exitCode: null, hung: true });
    }, hardMs);
    let p: Promise<CheckResult>;
    try {
      p = cs.checker.run(ac.signal);
    } catch (err) {
      p = Promise.resolve({ ok: false, reason: `checker threw: ${(err as Error).message}`, weight: null, exitCode: null, hung: false });
    }
    p.then(
      (res) => {
        if (settled) return;
        settled = true;
        this.timers.clear(hung);
        if (res.hung) rs.counters.hung++;
        this.onResult(cs, ac, res);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        this.timers.clear(hung);
        this.onResult(cs, ac, { ok: false, reason: `checker error: ${(err as Error)?.message ?? String(err)}`, weight: null, exitCode: null, hung: false });
      },
    );
  }

  private onResult(cs: CheckerState, ac: AbortController, res: CheckResult): void {
    if (cs.ac === ac) cs.running = false;
    if (!this.running || cs.retired) return;
    const rs = cs.rs;
    cs.lastOk = res.ok;
    cs.lastReason = res.reason;
    rs.lastReason = `${cs.checker.type}: ${res.reason}`;
    if (!res.ok) rs.counters.failures++;

    // misc_dynamic: a new exit code sets the weight (exit 0: back to the configured weight).
    if (res.ok && res.weight !== null && res.exitCode !== null && res.exitCode !== cs.lastExitCode) {
      cs.lastExitCode = res.exitCode;
      this.updateWeight(rs, res.weight < 0 ? rs.iweight : res.weight, `${cs.checker.type} exit ${res.exitCode}`);
    }

    let delay: number;
    // DIFF: a checker already down is not retried (next run after delay_loop), as keepalived's
    // UDP_CHECK; its tcp_epilog() retries down checkers too. Restoring is the same (first success).
    if (res.ok || cs.retryIt >= cs.timing.retry || (!cs.isUp && cs.hasRun)) {
      delay = cs.timing.delayLoopMs;
      const failedAfter = cs.retryIt;
      cs.retryIt = 0;
      if (res.ok && (!cs.isUp || !cs.hasRun)) this.updateCheckerState(cs, true, `${cs.checker.type} ${res.reason}`);
      else if (!res.ok && (cs.isUp || !cs.hasRun)) {
        const why = failedAfter ? `${cs.checker.type} failed after ${failedAfter} retries: ${res.reason}` : `${cs.checker.type} failed: ${res.reason}`;
        this.updateCheckerState(cs, false, why);
      }
    } else {
      delay = cs.timing.delayBeforeRetryMs;
      cs.retryIt++;
      if (cs.timing.logAllFailures) {
        this.log.info(
          { service: rs.vs.label, dest: rs.label, checker: cs.checker.type, retry: cs.retryIt, reason: res.reason },
          `${cs.checker.type} on ${rs.label} failed (retry ${cs.retryIt}/${cs.timing.retry}): ${res.reason}`,
        );
      }
    }
    cs.hasRun = true;
    if (cs.checker.scheduleFromStart) delay = Math.max(0, delay - (this.timers.now() - cs.startedMs));
    cs.timer = this.timers.set(() => this.launch(cs), delay);
  }

  // ---- keepalived ipwrapper.c --------------------------------------------------------------

  /** update_svr_checker_state() */
  private updateCheckerState(cs: CheckerState, alive: boolean, reason: string): void {
    const rs = cs.rs;
    if (cs.isUp === alive) {
      if (!cs.hasRun) {
        if (cs.timing.alpha || !alive) this.rsNotifies(rs);
        cs.hasRun = true;
      }
      return;
    }
    cs.hasRun = true;
    this.log.info(
      { service: rs.vs.label, dest: rs.label, checker: cs.checker.type, up: alive, reason },
      `${cs.checker.type} on ${rs.label} (${cs.checker.target}) ${alive ? 'UP' : 'DOWN'}: ${reason}`,
    );
    if (alive) {
      if (rs.numFailed <= 1 && !this.performSvrState(rs, true, reason)) return;
    } else if (rs.numFailed === 0 && !this.performSvrState(rs, false, reason)) return;
    this.setCheckerState(cs, alive);
  }

  /** set_checker_state() */
  private setCheckerState(cs: CheckerState, up: boolean): void {
    if (cs.isUp === up) return;
    cs.isUp = up;
    if (!up) cs.rs.numFailed++;
    else if (cs.rs.numFailed) cs.rs.numFailed--;
  }

  /** perform_svr_state(): move an alive change into the table. */
  private performSvrState(rs: RealServerState, alive: boolean, reason: string): boolean {
    if (rs.alive === alive) return true;
    const vs = rs.vs;
    const verb = alive ? (rs.inhibit ? 'Enabling' : 'Adding') : rs.inhibit ? 'Disabling' : 'Removing';
    const prep = rs.inhibit ? 'of' : alive ? 'to' : 'from';
    this.log.info(
      { service: vs.label, dest: rs.label, alive, reason },
      `${verb} service ${rs.label} ${prep} VS ${vs.label}: ${reason}`,
    );
    if (vs.quorumUp || !vs.sorry || !vs.sorry.alive) {
      const ok = alive ? this.addDest(rs, rs.effectiveWeight) : this.delDest(rs);
      if (!ok) return false;
    }
    rs.alive = alive;
    rs.counters.transitions++;
    rs.lastChangeMs = this.timers.now();
    this.rsNotifies(rs);
    this.updateQuorum(vs, false);
    return true;
  }

  /** update_svr_wgt() */
  private updateWeight(rs: RealServerState, weight: number, reason: string): void {
    const old = rs.effectiveWeight;
    rs.effectiveWeight = weight;
    if (weight === old) return;
    const vs = rs.vs;
    this.log.info(
      { service: vs.label, dest: rs.label, from: old, to: weight, reason },
      `Changing weight from ${old} to ${weight} for ${rs.alive ? '' : 'in'}active service ${rs.label} of VS ${vs.label}: ${reason}`,
    );
    if (rs.set && rs.alive && (vs.quorumUp || !vs.sorry || !vs.sorry.alive)) this.addDest(rs, weight);
    this.updateQuorum(vs, false);
  }

  private weighLive(vs: VirtualServerState): number {
    let sum = 0;
    for (const rs of vs.rs) if (rs.alive) sum += rs.effectiveWeight;
    return sum;
  }

  /** update_quorum_state() */
  private updateQuorum(vs: VirtualServerState, init: boolean): void {
    const sum = this.weighLive(vs);
    const { quorum, hysteresis } = vs.spec;
    const threshold = quorum + (vs.quorumUp ? -1 : 1) * hysteresis;
    if (!vs.quorumUp && sum >= threshold) {
      vs.quorumUp = true;
      this.log.info(
        { service: vs.label, quorum, hysteresis, liveWeight: sum },
        `${init ? 'Starting with quorum up' : 'Gained quorum'} ${quorum}+${hysteresis}=${threshold} <= ${sum} for VS ${vs.label}`,
      );
      if (vs.sorry && vs.sorry.alive) {
        this.log.info({ service: vs.label, dest: vs.sorry.label }, `${vs.sorry.inhibit ? 'Disabling' : 'Removing'} sorry server ${vs.sorry.label} from VS ${vs.label}`);
        this.delSorry(vs);
        vs.sorry.alive = false;
        this.performQuorumState(vs, true);
      }
      this.vsNotifies(vs);
      return;
    }
    if ((vs.quorumUp && (!sum || sum < threshold)) || (init && !vs.quorumUp && vs.sorry && !vs.sorry.alive)) {
      vs.quorumUp = false;
      this.log.info(
        { service: vs.label, quorum, hysteresis, liveWeight: sum },
        `${init ? 'Starting with quorum down' : 'Lost quorum'} ${quorum}-${hysteresis}=${threshold} > ${sum} for VS ${vs.label}`,
      );
      if (vs.sorry && !vs.sorry.alive) {
        this.log.info({ service: vs.label, dest: vs.sorry.label }, `${vs.sorry.inhibit ? 'Enabling' : 'Adding'} sorry server ${vs.sorry.label} to VS ${vs.label}`);
        this.performQuorumState(vs, false);
        this.addSorry(vs);
        vs.sorry.alive = true;
      }
      this.vsNotifies(vs);
    }
  }

  /** perform_quorum_state(): add or remove every alive real server. */
  private performQuorumState(vs: VirtualServerState, add: boolean): void {
    this.log.info({ service: vs.label, add }, `${add ? 'Adding alive servers to' : 'Removing alive servers from'} the pool for VS ${vs.label}`);
    for (const rs of vs.rs) {
      if (!rs.alive) continue;
      if (add) this.addDest(rs, rs.effectiveWeight);
      else this.delDest(rs);
    }
  }

  /** init_service_vs() / init_service_rs() */
  private initService(vs: VirtualServerState): void {
    if (this.manageServices) {
      for (const svc of vs.services) {
        const r = this.quiet(addServiceArgv(svc));
        if (r.code === 0) vs.created = true;
        else if (!/exist/i.test(r.stderr)) this.log.warn({ service: vs.label, stderr: r.stderr }, `cannot create VS ${vs.label}: ${r.stderr.trim()}`);
      }
    }
    for (const rs of vs.rs) this.initRealServer(rs);
    this.updateQuorum(vs, true);
    if (vs.sorry && vs.sorry.inhibit && !vs.sorry.set) {
      if (this.execAll(vs, (svc) => addDestArgv(svc, vs.sorry!.dest, 0), `adding inhibited sorry server ${vs.sorry.label}`)) vs.sorry.set = true;
    }
  }

  /** init_service_rs() for one real server: in unless a checker starts failed (alpha). */
  private initRealServer(rs: RealServerState): void {
    rs.numFailed = 0;
    for (const cs of rs.checkers) if (!cs.isUp) rs.numFailed++;
    if ((!rs.numFailed && !rs.alive) || (rs.inhibit && !rs.set)) {
      this.addDest(rs, rs.numFailed ? 0 : rs.effectiveWeight);
      if (!rs.numFailed) rs.alive = true;
    }
  }

  // ---- ipvs_cmd() ---------------------------------------------------------------------------

  private run(argv: string[], what: string): boolean {
    const r = this.exec(argv, what);
    return r.code === 0;
  }

  /** execute() that never throws: an exception from the editor is a failed command. */
  private quiet(argv: string[]): { code: number; stderr: string } {
    try {
      const r = this.editor.execute(argv);
      return { code: r.code, stderr: r.stderr ?? '' };
    } catch (err) {
      return { code: 2, stderr: err instanceof Error ? err.message : String(err) };
    }
  }

  private exec(argv: string[], what: string): { code: number; stderr: string } {
    const r = this.quiet(argv);
    if (r.code !== 0) this.log.warn({ argv, stderr: r.stderr }, `ipvsadm ${argv.join(' ')} failed (${what}): ${r.stderr.trim()}`);
    return r;
  }

  /** One command per member service (groups); true when every member took it. */
  private execAll(vs: VirtualServerState, mk: (svc: ServiceConfig) => string[], what: string): boolean {
    let ok = true;
    for (const svc of vs.services) if (this.exec(mk(svc), what).code !== 0) ok = false;
    return ok;
  }

  /** -a on one service, or -e when it is already there (added elsewhere, or deleted and re-added). */
  private addOrEdit(svc: ServiceConfig, dest: DestConfig, weight: number, editFirst: boolean, what: string): boolean {
    const first = editFirst ? editDestArgv(svc, dest, weight) : addDestArgv(svc, dest, weight);
    const r = this.quiet(first);
    if (r.code === 0) return true;
    // -e on a dest deleted behind our back (uvsadm -d): add it; -a on one already there: edit it.
    const fallback = editFirst ? /no such/i.test(r.stderr) : /exist/i.test(r.stderr);
    if (fallback) return this.run(editFirst ? addDestArgv(svc, dest, weight) : editDestArgv(svc, dest, weight), what);
    this.log.warn({ argv: first, stderr: r.stderr }, `ipvsadm ${first.join(' ')} failed (${what}): ${r.stderr.trim()}`);
    return false;
  }

  /** LVS_CMD_ADD_DEST: -a, or -e when the dest is already in (inhibited, or added elsewhere). */
  private addDest(rs: RealServerState, weight: number): boolean {
    let ok = true;
    for (const svc of rs.vs.services) if (!this.addOrEdit(svc, rs.dest, weight, rs.set, `adding ${rs.label}`)) ok = false;
    if (!ok) return false;
    rs.set = true;
    rs.tableWeight = weight;
    return true;
  }

  /** LVS_CMD_DEL_DEST: -d, or -e -w 0 with inhibit_on_failure. */
  private delDest(rs: RealServerState): boolean {
    if (!rs.set) return true;
    const vs = rs.vs;
    if (rs.inhibit) {
      if (!this.execAll(vs, (svc) => editDestArgv(svc, rs.dest, 0), `inhibiting ${rs.label}`)) return false;
      rs.tableWeight = 0;
      return true;
    }
    let ok = true;
    for (const svc of vs.services) {
      const r = this.quiet(delDestArgv(svc, rs.dest));
      if (r.code !== 0 && !/not exist|no such/i.test(r.stderr)) {
        this.log.warn({ stderr: r.stderr }, `ipvsadm -d ${rs.label} failed: ${r.stderr.trim()}`);
        ok = false;
      }
    }
    if (!ok) return false;
    rs.set = false;
    rs.tableWeight = -1;
    return true;
  }

  private addSorry(vs: VirtualServerState): void {
    const s = vs.sorry!;
    if (s.set) this.execAll(vs, (svc) => editDestArgv(svc, s.dest, s.dest.weight), `enabling sorry server ${s.label}`);
    else if (this.execAll(vs, (svc) => addDestArgv(svc, s.dest, s.dest.weight), `adding sorry server ${s.label}`)) s.set = true;
  }

  private delSorry(vs: VirtualServerState): void {
    const s = vs.sorry!;
    if (!s.set) return;
    if (s.inhibit) this.execAll(vs, (svc) => editDestArgv(svc, s.dest, 0), `disabling sorry server ${s.label}`);
    else if (this.execAll(vs, (svc) => delDestArgv(svc, s.dest), `removing sorry server ${s.label}`)) s.set = false;
  }

  // ---- notifies -----------------------------------------------------------------------------

  /** do_rs_notifies() */
  private rsNotifies(rs: RealServerState): void {
    const script = rs.alive ? rs.notifyUp : rs.notifyDown;
    if (script) void this.notify(script, rs.vs, rs.label, rs.alive ? 'UP' : 'DOWN');
  }

  /** do_vs_notifies() */
  private vsNotifies(vs: VirtualServerState): void {
    const script = vs.quorumUp ? vs.spec.quorumUp : vs.spec.quorumDown;
    if (script) void this.notify(script, vs, '', vs.quorumUp ? 'UP' : 'DOWN');
  }

  /**
   * Run a script with keepalived's arguments (exactly those configured).
   * DIFF: the environment also carries UVS_VS, UVS_RS and UVS_STATE for convenience.
   */
  private notify(script: string, vs: VirtualServerState, rs: string, state: string): Promise<ScriptOutcome> {
    const env: Record<string, string> = { UVS_VS: vs.label, UVS_RS: rs, UVS_STATE: state };
    const p = this.runScriptFn(script, env, this.scriptTimeoutMs).then(
      (o) => {
        this.scripts.delete(p);
        if (o.timedOut || o.error) this.log.warn({ script, outcome: o }, `notify script ${script} ${o.timedOut ? 'timed out (killed)' : `failed: ${o.error}`}`);
        return o;
      },
      (err: unknown) => {
        this.scripts.delete(p);
        return { command: script, code: null, signal: null, timedOut: false, error: String(err) };
      },
    );
    this.scripts.add(p);
    return p;
  }
}
