// Test helpers for src/health: a fake TableEditor that records ipvsadm command lines, a scripted
// fake checker, a capturing logger, a tiny keepalived.conf block reader for ConfNode trees.

import type { DestConfig, ServiceConfig } from '../../src/model/config.js';
import type { ConfNode } from '../../src/model/keepalived.js';
import type { CheckResult, Checker, CheckerContext, CheckerTiming } from '../../src/health/checker.js';
import type { ExecResult, TableEditor } from '../../src/health/table-editor.js';
import type { HealthLogger } from '../../src/health/manager.js';
import type { ScriptOutcome, ScriptRunner } from '../../src/health/scripts.js';

export class FakeEditor implements TableEditor {
  readonly calls: string[] = [];
  /** Return this for the next calls whose command line starts with the key. */
  readonly fail = new Map<string, ExecResult>();
  execute(argv: string[]): ExecResult {
    const line = argv.join(' ');
    this.calls.push(line);
    for (const [prefix, r] of this.fail) if (line.startsWith(prefix)) return r;
    return { code: 0, stderr: '' };
  }
  take(): string[] {
    return this.calls.splice(0, this.calls.length);
  }
}

export function service(over: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    id: 1,
    af: 4,
    protocol: 'tcp',
    addr: '10.0.0.100',
    port: 80,
    fwmark: 0,
    sched: 'wlc',
    flags: 0,
    timeoutS: 0,
    netmask: '255.255.255.255',
    pe: '',
    dests: [],
    ...over,
  };
}

export function dest(addr: string, weight = 1, over: Partial<DestConfig> = {}): DestConfig {
  return {
    id: 0,
    af: 4,
    addr,
    port: 80,
    weight,
    fwd: 'Route',
    uThreshold: 0,
    lThreshold: 0,
    tunType: 'ipip',
    tunPort: 0,
    tunFlags: 'nocsum',
    ...over,
  };
}

/** A checker whose results the test sets: `next` is used for every run until changed. */
export class FakeChecker implements Checker {
  readonly type: string;
  readonly target: string;
  readonly timeoutMs: number;
  next: CheckResult | 'hang' = { ok: true, reason: 'fake ok', weight: null, exitCode: null, hung: false };
  runs: number[] = [];
  aborted = 0;
  /** With a FakeTimers: the result arrives this many ms after the run starts. */
  latencyMs = 0;
  latencyTimers: { set(fn: () => void, ms: number): unknown } | null = null;
  scheduleFromStart = false;
  private readonly clock: () => number;

  constructor(clock: () => number, type = 'TCP_CHECK', timeoutMs = 1000) {
    this.clock = clock;
    this.type = type;
    this.target = 'fake';
    this.timeoutMs = timeoutMs;
  }

  up(): void {
    this.next = { ok: true, reason: 'fake ok', weight: null, exitCode: null, hung: false };
  }
  down(): void {
    this.next = { ok: false, reason: 'fake fail', weight: null, exitCode: null, hung: false };
  }
  exit(code: number): void {
    this.next = { ok: code === 0 || code >= 2, reason: `exit ${code}`, weight: code === 0 ? -1 : code >= 2 ? code - 2 : null, exitCode: code, hung: false };
  }

  run(signal: AbortSignal): Promise<CheckResult> {
    this.runs.push(this.clock());
    const n = this.next;
    if (n === 'hang') {
      return new Promise(() => {
        signal.addEventListener('abort', () => this.aborted++, { once: true });
      });
    }
    if (this.latencyMs && this.latencyTimers) {
      const t = this.latencyTimers;
      return new Promise((resolve) => t.set(() => resolve(n), this.latencyMs));
    }
    return Promise.resolve(n);
  }
}

export function timing(over: Partial<CheckerTiming> = {}): CheckerTiming {
  return { delayLoopMs: 10_000, retry: 1, delayBeforeRetryMs: 1000, warmupMs: 0, alpha: false, ...over };
}

export class CaptureLogger implements HealthLogger {
  readonly lines: string[] = [];
  info(_o: object, msg: string): void {
    this.lines.push(msg);
  }
  warn(_o: object, msg: string): void {
    this.lines.push(`WARN ${msg}`);
  }
}

export interface ScriptCall {
  command: string;
  env: Record<string, string>;
}

export function fakeScripts(): { calls: ScriptCall[]; run: ScriptRunner } {
  const calls: ScriptCall[] = [];
  const run: ScriptRunner = (command, env) => {
    calls.push({ command, env });
    const o: ScriptOutcome = { command, code: 0, signal: null, timedOut: false, error: '' };
    return Promise.resolve(o);
  };
  return { calls, run };
}

/**
 * Read keepalived.conf-shaped text into ConfNode trees (test-only; the real parser lives in
 * src/control/keepalived). Quoted strings are one argument; `!` and `#` start comments.
 */
export function confNodes(text: string, file = 'test.conf'): ConfNode[] {
  const root: ConfNode[] = [];
  const stack: ConfNode[][] = [root];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const toks: string[] = [];
    const re = /"([^"]*)"|([{}])|([^\s{}"]+)/g;
    const line = lines[i].replace(/\s[!#].*$|^\s*[!#].*$/, '');
    let m: RegExpExecArray | null;
    while ((m = re.exec(line))) toks.push(m[1] ?? m[2] ?? m[3]);
    let cur: ConfNode | null = null;
    for (const t of toks) {
      if (t === '{') {
        if (cur) {
          cur.children = [];
          stack.push(cur.children);
          cur = null;
        }
      } else if (t === '}') {
        if (stack.length > 1) stack.pop();
      } else if (!cur) {
        cur = { keyword: t, args: [], children: null, file, line: i + 1 };
        stack[stack.length - 1].push(cur);
      } else cur.args.push(t);
    }
  }
  return root;
}

export function ctx(problems: string[], over: Partial<CheckerContext> = {}): CheckerContext {
  return {
    af: 4,
    rsAddr: '127.0.0.1',
    rsPort: 80,
    connectTimeoutMs: 5000,
    delayLoopMs: 60_000,
    rsRetry: null,
    rsDelayBeforeRetryMs: null,
    rsWarmupMs: null,
    alpha: false,
    virtualhost: '',
    problem: (n, m) => problems.push(`${n.file}:${n.line}: ${m}`),
    ...over,
  };
}
