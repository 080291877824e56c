// MISC_CHECK (keepalived/check/check_misc.c): run misc_path through /bin/sh in its own process
// group. Exit 0: up. Any other exit: down, except with misc_dynamic, where 2..255 means up with
// weight = exit code - 2 (exit 0 restores the configured weight, exit 1 is down). A script still
// running after misc_timeout (default: delay_loop) gets SIGTERM on its process group, then
// SIGKILL 2 s later, and counts as a failure ("timed out"). Defaults: retry 0,
// delay_before_retry 1 s.

import { spawn } from 'node:child_process';
import type { ConfNode } from '../model/keepalived.js';
import { failResult, type CheckResult, type Checker, type CheckerContext, type CheckerKind, type ParsedChecker } from './checker.js';
import { parseCommon, readUnsigned, reportUnknown } from './options.js';

/** keepalived waits this long between SIGTERM and SIGKILL of a timed-out script. */
export const MISC_KILL_GRACE_MS = 2000;

function killGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}

export class MiscCheck implements Checker {
  readonly type = 'MISC_CHECK';
  readonly scheduleFromStart = true;
  readonly target: string;
  /** misc_timeout plus the SIGTERM→SIGKILL grace: the script is killed by then. */
  readonly timeoutMs: number;
  readonly miscTimeoutMs: number;
  readonly dynamic: boolean;
  readonly command: string;

  constructor(command: string, timeoutMs: number, dynamic: boolean) {
    this.command = command;
    this.target = command;
    this.miscTimeoutMs = timeoutMs;
    this.timeoutMs = timeoutMs + MISC_KILL_GRACE_MS;
    this.dynamic = dynamic;
  }

  run(signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve) => {
      let done = false;
      let timedOut = false;
      let killTimer: NodeJS.Timeout | null = null;
      const child = spawn('/bin/sh', ['-c', this.command], { detached: true, stdio: 'ignore' });
      const finish = (res: CheckResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        signal.removeEventListener('abort', onAbort);
        resolve(res);
      };
      const onAbort = (): void => {
        killGroup(child.pid, 'SIGKILL');
        finish(failResult('aborted (killed)'));
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), MISC_KILL_GRACE_MS);
      }, this.miscTimeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      child.once('error', (err) => finish(failResult(`spawn failed: ${err.message}`)));
      child.once('exit', (code, sig) => {
        // Make sure nothing the script started survives it (as keepalived's kill(-pid)).
        if (timedOut) killGroup(child.pid, 'SIGKILL');
        if (code === null) {
          finish({ ok: false, reason: timedOut ? `timed out after ${this.miscTimeoutMs} ms (killed)` : `killed by ${sig}`, weight: null, exitCode: null, hung: timedOut });
          return;
        }
        if (code === 0) {
          finish({ ok: true, reason: 'exit 0', weight: this.dynamic ? -1 : null, exitCode: 0, hung: false });
          return;
        }
        if (this.dynamic && code >= 2 && code <= 255) {
          finish({ ok: true, reason: `exit ${code}`, weight: code - 2, exitCode: code, hung: false });
          return;
        }
        finish({ ok: false, reason: `exit ${code}`, weight: null, exitCode: code, hung: false });
      });
    });
  }
}

export const miscCheckKind: CheckerKind = {
  keyword: 'MISC_CHECK',
  parse(node: ConfNode, ctx: CheckerContext): ParsedChecker | null {
    const common = parseCommon(node, ctx, { connection: false, defaultRetry: 0, defaultDelayBeforeRetryMs: 1000 });
    let command = '';
    let timeoutMs = 0;
    let dynamic = false;
    const unknown: ConfNode[] = [];
    for (const n of common.rest) {
      switch (n.keyword) {
        case 'misc_path':
          if (n.args.length === 0) ctx.problem(n, 'misc_path needs a script');
          else command = n.args.join(' ');
          break;
        case 'misc_timeout': {
          const v = readUnsigned(n, ctx, 0, 4294967);
          if (v !== null) timeoutMs = v * 1000;
          break;
        }
        case 'misc_dynamic':
          dynamic = true;
          break;
        // DIFF: `user` is accepted; the script runs as the daemon's user.
        case 'user':
          if (n.args.length === 0) ctx.problem(n, 'No user specified for misc checker script');
          break;
        default:
          unknown.push(n);
      }
    }
    reportUnknown(unknown, node, ctx);
    if (!command) {
      ctx.problem(node, 'No script path has been specified for MISC_CHECKER - skipping');
      return null;
    }
    return { checker: new MiscCheck(command, timeoutMs || ctx.delayLoopMs, dynamic), timing: common.timing };
  },
};
