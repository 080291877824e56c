// `uvs lab down` for the exit paths of `uvs bench lab` (signal, EPIPE, crash): the same things by
// the same names (the processes recorded in the lab's state.json, every namespace with the lab's
// prefix and whatever still runs in it, the state directory), but synchronous and with SIGKILL,
// because it may run from a signal handler or the 'exit' event where nothing asynchronous runs.
// The normal path keeps using netns-lab's graceful, asynchronous down().

import { readFileSync, rmSync } from 'node:fs';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';
import { labNamespaces, readState, type LabPaths } from '../../netns-lab/lab.js';

/** Whether `pid` still runs `script` (as lab.ts checks before any signal: a reused PID is never hit). */
function runs(pid: number, script: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(script);
  } catch {
    return false;
  }
}

export function removeLabNow(paths: LabPaths): void {
  const st = readState(paths);
  for (const p of st?.procs ?? []) {
    if (p.pid !== process.pid && runs(p.pid, p.script)) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const ns of labNamespaces(paths.prefix)) destroyNamespace(ns);
  rmSync(paths.stateDir, { recursive: true, force: true });
}
