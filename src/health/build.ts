// From a parsed keepalived.conf (src/model/keepalived.ts) to the manager's input: every checker
// block of every real_server is parsed by its kind (registry.ts) with the defaults it inherits,
// as check_data.c resolves them: real_server-level retry, delay_before_retry, warmup,
// delay_loop, connect_timeout and alpha override the virtual_server's; a checker's own keywords
// override both. Problems in virtual_server/real_server level values are the keepalived
// parser's to report; here they only fall back to the defaults. Problems come back as `file:line: message`; a block that cannot run is dropped.

import type { ConfNode, KaRealServer, KaVirtualServer, KeepalivedConfig } from '../model/keepalived.js';
import type { CheckerContext, ParsedChecker } from './checker.js';
import { HealthManager, type HealthOptions, type RealServerSpec, type ReloadSummary, type VirtualServerInput } from './manager.js';
import { readBool, readTimerMs, readUnsigned } from './options.js';
import { checkerKind } from './registry.js';

/** keepalived's default connect_timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** keepalived's default delay_loop. */
export const DEFAULT_DELAY_LOOP_MS = 60_000;

export interface HealthBuild {
  input: VirtualServerInput[];
  problems: string[];
}

function childArgs(node: ConfNode, keyword: string): ConfNode | undefined {
  let found: ConfNode | undefined;
  for (const c of node.children ?? []) if (c.keyword === keyword) found = c;
  return found;
}

function buildRealServer(vs: KaVirtualServer, rs: KaRealServer, problems: string[], problem: (n: ConfNode, m: string) => void): RealServerSpec {
  const base: CheckerContext = {
    af: rs.dest.af,
    rsAddr: rs.dest.addr,
    rsPort: rs.dest.port,
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    delayLoopMs: vs.delayLoopS > 0 ? Math.round(vs.delayLoopS * 1000) : DEFAULT_DELAY_LOOP_MS,
    rsRetry: null,
    rsDelayBeforeRetryMs: null,
    rsWarmupMs: null,
    alpha: vs.alpha,
    virtualhost: vs.virtualhost,
    problem,
  };
  // virtual_server level, then real_server level: connect_timeout, delay_loop (real_server
  // only; the virtual_server's is vs.delayLoopS), retry, delay_before_retry, warmup, alpha.
  const quiet: CheckerContext = { ...base, problem: () => {} };
  for (const level of [vs.node, rs.node]) {
    const t = childArgs(level, 'connect_timeout');
    if (t) base.connectTimeoutMs = readTimerMs(t, quiet, 1) ?? base.connectTimeoutMs;
    const r = childArgs(level, 'retry');
    if (r) base.rsRetry = readUnsigned(r, quiet, 0, 0xffffffff) ?? base.rsRetry;
    const dbr = childArgs(level, 'delay_before_retry');
    if (dbr) base.rsDelayBeforeRetryMs = readTimerMs(dbr, quiet, 0) ?? base.rsDelayBeforeRetryMs;
    const w = childArgs(level, 'warmup');
    if (w) base.rsWarmupMs = readTimerMs(w, quiet, 0) ?? base.rsWarmupMs;
  }
  const dl = childArgs(rs.node, 'delay_loop');
  if (dl) base.delayLoopMs = readTimerMs(dl, quiet, 1) ?? base.delayLoopMs;
  const vh = childArgs(rs.node, 'virtualhost');
  if (vh?.args[0]) base.virtualhost = vh.args[0];
  const a = childArgs(rs.node, 'alpha');
  if (a) base.alpha = readBool(a, quiet) ?? base.alpha;

  const checkers: ParsedChecker[] = [];
  for (const block of rs.checkers) {
    const kind = checkerKind(block.keyword);
    if (!kind) {
      problems.push(`${block.file}:${block.line}: ${block.keyword} is not supported by uvs - ignoring`);
      continue;
    }
    const pc = kind.parse(block, base);
    if (pc) checkers.push(pc);
  }
  return { dest: rs.dest, inhibit: rs.inhibitOnFailure, notifyUp: rs.notifyUp, notifyDown: rs.notifyDown, checkers };
}

/** Parse every checker of a keepalived config; nothing runs yet. */
export function buildHealthInput(cfg: KeepalivedConfig): HealthBuild {
  const problems: string[] = [];
  const problem = (node: ConfNode, message: string): void => {
    problems.push(`${node.file}:${node.line}: ${message}`);
  };
  // A virtual_server group comes expanded into one virtual server per member, all from the same
  // block: keepalived keeps them as one (one set of checkers, every change applied to each member).
  const blocks: KaVirtualServer[][] = [];
  for (const vs of cfg.virtualServers) {
    const last = blocks[blocks.length - 1];
    if (last && last[0].node === vs.node) last.push(vs);
    else blocks.push([vs]);
  }
  const input: VirtualServerInput[] = blocks.map((members) => {
    const vs = members[0];
    const group = vs.node.args[0] === 'group' ? vs.node.args[1] : '';
    return {
      ...inputOf(vs, problems, problem),
      ...(members.length > 1 ? { groupServices: members.map((m) => m.service) } : {}),
      ...(group ? { label: `[${group}]:${vs.service.port}` } : {}),
    };
  });
  return { input, problems };
}

function inputOf(vs: KaVirtualServer, problems: string[], problem: (n: ConfNode, m: string) => void): VirtualServerInput {
  return {
    service: vs.service,
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    quorumUp: vs.quorumUp,
    quorumDown: vs.quorumDown,
    omega: vs.omega,
    sorryServer: vs.sorryServer,
    sorryServerInhibit: vs.sorryServerInhibit,
    realServers: vs.realServers.map((rs) => buildRealServer(vs, rs, problems, problem)),
  };
}

/** Build a manager for `uvs run --keepalived FILE`; the caller decides what problems mean. */
export function createHealthManager(cfg: KeepalivedConfig, opts: HealthOptions): { manager: HealthManager; problems: string[] } {
  const { input, problems } = buildHealthInput(cfg);
  return { manager: new HealthManager(input, opts), problems };
}

/** A problem without its `file:line: ` prefix: the same mistake found on another line is the same problem. */
export function problemKey(problem: string): string {
  return problem.replace(/^[^:\s]+(?::\d+)?: /, '');
}

/** Every problem a config has: the loader's (parse and validation) and the checkers' own. */
export function allProblems(cfg: KeepalivedConfig, build: HealthBuild): string[] {
  return [...cfg.problems, ...build.problems];
}

export interface ReloadOutcome {
  /** Why the new config was refused (nothing changed); empty when it was applied. */
  refused: string[];
  /** Every problem of the new config (known ones included), for the log. */
  problems: string[];
  /** What changed; null when refused. */
  summary: ReloadSummary | null;
  /** The problem keys of the config now running (to pass to the next reload). */
  accepted: Set<string>;
}

/**
 * SIGHUP: re-read checkers from a new config and move the running manager to it, or refuse the
 * config as a whole. keepalived with `reload_check_config` refuses a reload when the new config
 * reports any config error (get_config_status() != CONFIG_OK) and keeps running as it was.
 * DIFF: uvs always checks first, and refuses only problems the running config did not already
 * have (`accepted`: problemKey() of each problem accepted at start or at the last reload), so a
 * file that started with keepalived's warnings (e.g. no lb_algo, defaulting to wlc) can still be
 * reloaded; a file without any virtual_server is refused too (it would empty the table).
 */
export function reloadHealthManager(manager: HealthManager, cfg: KeepalivedConfig, accepted: ReadonlySet<string> = new Set()): ReloadOutcome {
  const build = buildHealthInput(cfg);
  const problems = allProblems(cfg, build);
  const refused = problems.filter((p) => !accepted.has(problemKey(p)));
  if (cfg.virtualServers.length === 0) refused.push('no virtual_server: refusing to remove every service');
  if (refused.length) return { refused, problems, summary: null, accepted: new Set(accepted) };
  const summary = manager.reload(build.input);
  return { refused, problems, summary, accepted: new Set(problems.map(problemKey)) };
}
