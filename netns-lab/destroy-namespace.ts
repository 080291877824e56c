// Removing a namespace for good: SIGKILL every process still inside it (`ip netns pids`), then
// delete it. Synchronous and silent about what is already gone, so it is safe in `finally`
// blocks and afterAll hooks of tests and benchmarks that must clean up even when they fail.

import { execFileSync } from 'node:child_process';

export function destroyNamespace(ns: string): void {
  let pids: string[] = [];
  try {
    pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s+/).filter((t) => /^\d+$/.test(t));
  } catch {
    // namespace already gone
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // process already gone
    }
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}
