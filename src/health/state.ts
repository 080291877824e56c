// Runtime state of health checking, after keepalived's virtual_server_t / real_server_t /
// checker_t fields (alive, set, inhibit, iweight, effective_weight, num_failed_checkers,
// quorum_state_up, is_up, has_run, retry_it), plus per real server counters for status().

import type { DestConfig, ServiceConfig } from '../model/config.js';
import type { Checker, CheckerTiming } from './checker.js';

export class CheckerState {
  readonly rs: RealServerState;
  readonly checker: Checker;
  readonly timing: CheckerTiming;
  /** checker->is_up: false from the start under alpha. */
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;
  timer: unknown;
  /** Reused run after run until it is aborted (fewer allocations per check). */
  ac: AbortController;
  running: boolean;
  /** Stopped (manager stop or reload): a late result of a run in flight is dropped. */
  retired: boolean;
  /** MISC_CHECK: last exit code that set a weight (keepalived's last_exit_code). */
  lastExitCode: number;
  lastReason: string;
  lastOk: boolean;
  runs: number;
  startedMs: number;

  constructor(rs: RealServerState, checker: Checker, timing: CheckerTiming) {
    this.rs = rs;
    this.checker = checker;
    this.timing = timing;
    this.isUp = !timing.alpha;
    this.hasRun = false;
    this.retryIt = 0;
    this.timer = null;
    this.ac = new AbortController();
    this.running = false;
    this.retired = false;
    this.lastExitCode = -1;
    this.lastReason = '';
    this.lastOk = false;
    this.runs = 0;
    this.startedMs = 0;
  }
}

export interface RsCounters {
  checks: number;
  failures: number;
  hung: number;
  transitions: number;
}

export class RealServerState {
  readonly vs: VirtualServerState;
  readonly dest: DestConfig;
  readonly label: string;
  readonly inhibit: boolean;
  readonly notifyUp: string;
  readonly notifyDown: string;
  readonly iweight: number;
  effectiveWeight: number;
  alive: boolean;
  /** In the table (possibly with weight 0 when inhibited). */
  set: boolean;
  /** Weight last written to the table, -1 when not in it. */
  tableWeight: number;
  numFailed: number;
  readonly checkers: CheckerState[];
  readonly counters: RsCounters;
  lastChangeMs: number;
  lastReason: string;

  constructor(vs: VirtualServerState, dest: DestConfig, inhibit: boolean, notifyUp: string, notifyDown: string) {
    this.vs = vs;
    this.dest = dest;
    this.label = dest.af === 6 ? `[${dest.addr}]:${dest.port}` : `${dest.addr}:${dest.port}`;
    this.inhibit = inhibit;
    this.notifyUp = notifyUp;
    this.notifyDown = notifyDown;
    this.iweight = dest.weight;
    this.effectiveWeight = dest.weight;
    this.alive = false;
    this.set = false;
    this.tableWeight = -1;
    this.numFailed = 0;
    this.checkers = [];
    this.counters = { checks: 0, failures: 0, hung: 0, transitions: 0 };
    this.lastChangeMs = 0;
    this.lastReason = '';
  }
}

export class SorryServerState {
  readonly dest: DestConfig;
  readonly label: string;
  readonly inhibit: boolean;
  alive: boolean;
  set: boolean;

  constructor(dest: DestConfig, inhibit: boolean) {
    this.dest = dest;
    this.label = dest.af === 6 ? `[${dest.addr}]:${dest.port}` : `${dest.addr}:${dest.port}`;
    this.inhibit = inhibit;
    this.alive = false;
    this.set = false;
  }
}

export interface VirtualServerSpec {
  service: ServiceConfig;
  /**
   * virtual_server group: every member service (the first is `service`). keepalived keeps one
   * virtual server with one set of checkers and applies each table change to every member.
   */
  groupServices?: ServiceConfig[];
  /** Name in logs and status(); default the service as ipvsadm prints it. keepalived: [group]:port. */
  label?: string;
  quorum: number;
  hysteresis: number;
  quorumUp: string;
  quorumDown: string;
  omega: boolean;
  sorryServer: DestConfig | null;
  sorryServerInhibit: boolean;
}

export class VirtualServerState {
  readonly spec: VirtualServerSpec;
  readonly label: string;
  quorumUp: boolean;
  readonly sorry: SorryServerState | null;
  readonly rs: RealServerState[];
  /** Where table changes go: the service, or every member of a group. */
  readonly services: ServiceConfig[];
  /** The service was created by us (manageServices). */
  created: boolean;

  constructor(spec: VirtualServerSpec, label: string) {
    this.spec = spec;
    this.label = label;
    this.services = spec.groupServices?.length ? spec.groupServices : [spec.service];
    this.quorumUp = false;
    this.sorry = spec.sorryServer ? new SorryServerState(spec.sorryServer, spec.sorryServerInhibit) : null;
    this.rs = [];
    this.created = false;
  }
}
