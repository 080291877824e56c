// Small process helpers for the lab: run a command (optionally inside a network namespace) and
// collect its output, start a long-lived process detached inside a namespace, and stop processes by
// PID. Every wait is bounded; nothing here touches the root namespace's interfaces.

import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

/** Run a command to completion (bounded by timeoutMs). Never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 15_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return { code: 127, stdout: '', stderr: `${cmd}: ${r.error.message}` };
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Run and throw a LabError with the command line and its stderr on failure. */
export function must(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  const r = run(cmd, args, opts);
  if (r.code !== 0) {
    throw new LabError(`'${[cmd, ...args].join(' ')}' failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** `ip netns exec NS CMD ARGS...` */
export function nsRun(ns: string, cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): RunResult {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

export function nsMust(ns: string, cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): string {
  return must('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** `ip -n NS ARGS...` (iproute2 inside a namespace). */
export function ipn(ns: string, ...args: string[]): string {
  return must('ip', ['-n', ns, ...args]);
}

/** Set a sysctl inside a namespace (writes /proc/sys through `ip netns exec`). */
export function sysctl(ns: string, key: string, value: string | number): void {
  nsMust(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
}

export function readSysctl(ns: string, key: string): string | null {
  const r = nsRun(ns, 'sysctl', ['-n', key]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Start `cmd args` detached inside namespace `ns`, output appended to `logFile`. `ip netns exec`
 * execs the command after setns(), so the returned PID is the command's own.
 */
export function spawnInNs(ns: string, cmd: string, args: readonly string[], logFile: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.unref();
    if (child.pid === undefined) throw new LabError(`could not start ${cmd} in ${ns}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is not alive for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return false;
  }
}

/** The network namespace inode of a process, to check a recorded PID still is our process. */
export function pidNetns(pid: number): string | null {
  try {
    return readlinkSafe(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

function readlinkSafe(p: string): string | null {
  const r = run('readlink', [p]);
  return r.code === 0 ? r.stdout.trim() : null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM, wait up to graceMs, then SIGKILL. Bounded. */
export async function stopPids(pids: readonly number[], graceMs = 2000): Promise<void> {
  const live = pids.filter((p) => p > 1 && pidAlive(p));
  for (const p of live) {
    try { process.kill(p, 'SIGTERM'); } catch { /* gone */ }
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && live.some((p) => pidAlive(p))) await sleep(50);
  for (const p of live) {
    if (pidAlive(p)) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  const hard = Date.now() + 1000;
  while (Date.now() < hard && live.some((p) => pidAlive(p))) await sleep(20);
}

/** Wait until `pred()` is true, polling, for at most timeoutMs. Returns whether it became true. */
export async function waitFor(pred: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pred()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
}

export function fileExists(p: string): boolean {
  return existsSync(p);
}
