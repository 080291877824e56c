// The health checker contract, after keepalived's checker_t (keepalived/check/check_api.c): one
// file per checker kind (TCP_CHECK, HTTP_GET/SSL_GET, MISC_CHECK, PING_CHECK, UDP_CHECK,
// DNS_CHECK), each turning its keepalived.conf block into a Checker. A Checker runs one probe and
// settles a Promise; it never touches the table. The manager owns timing (delay_loop, retry,
// delay_before_retry, warmup, alpha), the per-check hard timeout, and the state machine.

import type { ConfNode } from '../model/keepalived.js';

export interface CheckResult {
  ok: boolean;
  /** Why, for logs and status(): 'connected', 'HTTP status 503', 'exit 1', ... */
  reason: string;
  /**
   * MISC_CHECK with misc_dynamic: the new weight (exit code - 2), or -1 for "back to the
   * configured weight" (exit 0), or null when the check says nothing about weight.
   */
  weight: number | null;
  /** Exit code of a MISC_CHECK script (keepalived applies a weight only when it changes). */
  exitCode: number | null;
  /** The probe overran its time bound and was killed (a hung check). */
  hung: boolean;
}

export interface Checker {
  /** The keepalived keyword: 'TCP_CHECK', 'HTTP_GET', ... */
  readonly type: string;
  /** What is probed, for logs: '10.0.0.11:80', '/usr/local/bin/check.sh', ... */
  readonly target: string;
  /**
   * Longest a run may take before the manager calls it hung (connect_timeout, or misc_timeout,
   * or the sum over url blocks); the manager adds its own margin and then aborts the signal.
   */
  readonly timeoutMs: number;
  /**
   * The next run is timed from the start of this one, not its end (MISC_CHECK: keepalived
   * schedules from last_ran).
   */
  readonly scheduleFromStart?: boolean;
  /** One probe. Must settle; must stop all work (sockets, children) when `signal` aborts. */
  run(signal: AbortSignal): Promise<CheckResult>;
}

export function okResult(reason: string): CheckResult {
  return { ok: true, reason, weight: null, exitCode: null, hung: false };
}

export function failResult(reason: string): CheckResult {
  return { ok: false, reason, weight: null, exitCode: null, hung: false };
}

/** connect_ip, connect_port, bindto, bind_port, connect_timeout: keepalived's conn_opts_t. */
export interface ConnectOpts {
  af: 4 | 6;
  host: string;
  port: number;
  bindto: string | null;
  bindPort: number;
  timeoutMs: number;
}

/**
 * Timing after defaults are resolved, as check_data.c does it: checker value, else the
 * real_server's, else the checker kind's default (retry 1, delay_before_retry 1 s; HTTP 3 s;
 * MISC retry 0; DNS retry 3 and delay_before_retry = delay_loop), delay_loop from the
 * real_server or virtual_server, warmup defaulting to delay_loop.
 */
export interface CheckerTiming {
  delayLoopMs: number;
  retry: number;
  delayBeforeRetryMs: number;
  warmupMs: number;
  alpha: boolean;
  /** log_all_failures: log every failed run, not only state changes. */
  logAllFailures?: boolean;
}

/** What a checker block inherits from its real_server and virtual_server. */
export interface CheckerContext {
  /** Real server address and port (the default connect_ip/connect_port). */
  af: 4 | 6;
  rsAddr: string;
  rsPort: number;
  /** virtual_server (or real_server) connect_timeout, keepalived default 5 s. */
  connectTimeoutMs: number;
  /** real_server delay_loop, else virtual_server delay_loop. */
  delayLoopMs: number;
  /** real_server-level overrides, null when not given. */
  rsRetry: number | null;
  rsDelayBeforeRetryMs: number | null;
  rsWarmupMs: number | null;
  alpha: boolean;
  /** virtual_server virtualhost (HTTP_GET/SSL_GET Host:). */
  virtualhost: string;
  /** Record a file:line problem. */
  problem(node: ConfNode, message: string): void;
}

/** A checker block after parsing. */
export interface ParsedChecker {
  checker: Checker;
  timing: CheckerTiming;
}

/** One per checker kind; registered by keyword in registry.ts. */
export interface CheckerKind {
  readonly keyword: string;
  /** Parse the block; report problems through ctx; null when the block cannot run at all. */
  parse(node: ConfNode, ctx: CheckerContext): ParsedChecker | null;
}
