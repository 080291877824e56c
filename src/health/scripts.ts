// notify_up/notify_down/quorum_up/quorum_down scripts: run through /bin/sh (keepalived's
// system()) with exactly the configured arguments, in their own process group, bounded by a
// timeout after which the group is killed. Never awaited by the state machine: the caller gets a
// promise only for logging and tests.

import { spawn } from 'node:child_process';

export interface ScriptOutcome {
  command: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  error: string;
}

export type ScriptRunner = (command: string, env: Record<string, string>, timeoutMs: number) => Promise<ScriptOutcome>;

export const runScript: ScriptRunner = (command, env, timeoutMs) =>
  new Promise((resolve) => {
    let timedOut = false;
    let child;
    try {
      child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
    } catch (err) {
      resolve({ command, code: null, signal: null, timedOut: false, error: (err as Error).message });
      return;
    }
    const pid = child.pid;
    const kill = (sig: NodeJS.Signals): void => {
      if (!pid) return;
      try {
        process.kill(-pid, sig);
      } catch {
        // Gone already.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ command, code: null, signal: null, timedOut, error: err.message });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ command, code, signal, timedOut, error: '' });
    });
  });
