// Keyword value readers and the keywords every checker block shares, with keepalived's ranges
// and defaults (install_checker_common_keywords() in keepalived/check/check_api.c):
// connect_ip, connect_port, bindto, bind_port, bind_if, connect_timeout, fwmark, retry (and the
// old nb_get_retry), delay_before_retry, warmup, delay_loop, alpha, log_all_failures.
// Times are seconds with an optional fraction, as keepalived's read_timer(). A bad value is
// reported as `file:line: message` and the keyword is ignored (keepalived's behaviour).

import { isIP } from 'node:net';
import type { ConfNode } from '../model/keepalived.js';
import type { CheckerContext, CheckerTiming, ConnectOpts } from './checker.js';

const TIMER_RE = /^\d+(\.\d{1,6})?$/;

/** Seconds (fraction allowed) → ms; null (and a problem) when invalid or below minMs. */
export function readTimerMs(node: ConfNode, ctx: CheckerContext, minMs: number): number | null {
  const text = node.args[0];
  if (text === undefined) {
    ctx.problem(node, `${node.keyword} needs a value`);
    return null;
  }
  if (!TIMER_RE.test(text)) {
    ctx.problem(node, `${node.keyword} '${text}' is not a time in seconds`);
    return null;
  }
  const ms = Math.round(Number(text) * 1000);
  if (ms < minMs) {
    ctx.problem(node, `${node.keyword} '${text}' is too small`);
    return null;
  }
  return ms;
}

/** Unsigned integer in [min, max]; null (and a problem) otherwise. */
export function readUnsigned(node: ConfNode, ctx: CheckerContext, min: number, max: number): number | null {
  const text = node.args[0];
  if (text === undefined || !/^\d+$/.test(text)) {
    ctx.problem(node, `${node.keyword} '${text ?? ''}' is not an unsigned number`);
    return null;
  }
  const n = Number(text);
  if (n < min || n > max) {
    ctx.problem(node, `${node.keyword} '${text}' is out of range ${min}..${max}`);
    return null;
  }
  return n;
}

/** keepalived's check_true_false(): no value means true. */
export function readBool(node: ConfNode, ctx: CheckerContext): boolean | null {
  const text = node.args[0];
  if (text === undefined) return true;
  const t = text.toLowerCase();
  if (t === 'true' || t === 'on' || t === 'yes') return true;
  if (t === 'false' || t === 'off' || t === 'no') return false;
  ctx.problem(node, `${node.keyword} '${text}' is not true/false`);
  return null;
}

export interface CommonSpec {
  /** Whether connect_* keywords apply (not for MISC_CHECK). */
  connection: boolean;
  defaultRetry: number;
  /** null: delay_loop (DNS_CHECK). */
  defaultDelayBeforeRetryMs: number | null;
}

export interface CommonParse {
  timing: CheckerTiming;
  connect: ConnectOpts;
  /** The block's children the common keywords did not consume. */
  rest: ConfNode[];
}

const CONNECTION_KEYWORDS = new Set(['connect_ip', 'connect_port', 'bindto', 'bind_port', 'bind_if', 'connect_timeout', 'fwmark']);

/** Parse the shared keywords of a checker block and resolve defaults as check_data.c does. */
export function parseCommon(block: ConfNode, ctx: CheckerContext, spec: CommonSpec): CommonParse {
  const connect: ConnectOpts = {
    af: ctx.af,
    host: ctx.rsAddr,
    port: ctx.rsPort,
    bindto: null,
    bindPort: 0,
    timeoutMs: ctx.connectTimeoutMs,
  };
  let retry: number | null = null;
  let delayBeforeRetryMs: number | null = null;
  let warmupMs: number | null = null;
  let delayLoopMs: number | null = null;
  let alpha: boolean | null = null;
  let logAllFailures = false;
  const rest: ConfNode[] = [];

  for (const node of block.children ?? []) {
    if (CONNECTION_KEYWORDS.has(node.keyword) && !spec.connection) {
      ctx.problem(node, `${node.keyword} is not valid in ${block.keyword}`);
      continue;
    }
    switch (node.keyword) {
      case 'connect_ip': {
        const v = node.args[0] ?? '';
        const fam = isIP(v);
        if (!fam) ctx.problem(node, `Invalid connect_ip address ${v} - ignoring`);
        else {
          connect.host = v;
          connect.af = fam as 4 | 6;
        }
        break;
      }
      case 'connect_port': {
        const v = readUnsigned(node, ctx, 1, 65535);
        if (v !== null) connect.port = v;
        break;
      }
      case 'bindto': {
        const v = node.args[0] ?? '';
        if (!isIP(v)) ctx.problem(node, `Invalid bindto address ${v} - ignoring`);
        else connect.bindto = v;
        break;
      }
      case 'bind_port': {
        const v = readUnsigned(node, ctx, 1, 65535);
        if (v !== null) connect.bindPort = v;
        break;
      }
      case 'connect_timeout': {
        const v = readTimerMs(node, ctx, 1);
        if (v !== null) connect.timeoutMs = v;
        break;
      }
      // DIFF: bind_if (IPv6 link-local) and fwmark (SO_MARK) are accepted and not applied.
      case 'bind_if':
      case 'fwmark':
        break;
      case 'retry':
      case 'nb_get_retry': {
        const v = readUnsigned(node, ctx, 0, 0xffffffff);
        if (v !== null) retry = v;
        break;
      }
      case 'delay_before_retry': {
        const v = readTimerMs(node, ctx, 0);
        if (v !== null) delayBeforeRetryMs = v;
        break;
      }
      case 'warmup': {
        const v = readTimerMs(node, ctx, 0);
        if (v !== null) warmupMs = v;
        break;
      }
      case 'delay_loop': {
        const v = readTimerMs(node, ctx, 1);
        if (v !== null) delayLoopMs = v;
        break;
      }
      case 'alpha': {
        const v = readBool(node, ctx);
        if (v !== null) alpha = v;
        break;
      }
      case 'log_all_failures': {
        const v = readBool(node, ctx);
        if (v !== null) logAllFailures = v;
        break;
      }
      default:
        rest.push(node);
    }
  }
  const loop = delayLoopMs ?? ctx.delayLoopMs;
  const timing: CheckerTiming = {
    delayLoopMs: loop,
    retry: retry ?? ctx.rsRetry ?? spec.defaultRetry,
    delayBeforeRetryMs: delayBeforeRetryMs ?? ctx.rsDelayBeforeRetryMs ?? spec.defaultDelayBeforeRetryMs ?? loop,
    warmupMs: warmupMs ?? ctx.rsWarmupMs ?? loop,
    alpha: alpha ?? ctx.alpha,
  };
  if (logAllFailures) timing.logAllFailures = true;
  return { timing, connect, rest };
}

/** Report every leftover keyword as unknown. */
export function reportUnknown(nodes: ConfNode[], block: ConfNode, ctx: CheckerContext): void {
  for (const n of nodes) ctx.problem(n, `unknown keyword '${n.keyword}' in ${block.keyword}`);
}

/** Resolve an AbortSignal into a promise rejection helper for checkers. */
export function abortReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'aborted';
}
