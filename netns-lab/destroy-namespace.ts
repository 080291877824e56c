// Removing a namespace for good: SIGKILL every process still inside it (`ip netns pids`), then
// delete it. Synchronous and silent about what is already gone, so it is safe in `finally`
// blocks and afterAll hooks of tests and benchmarks that must clean up even when they fail.

import { execFileSync } from 'node:child_process';

/** The processes running inside `ns` (`ip netns pids`); none when it is gone. */
export function namespacePids(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\s+/).filter((t) => /^\d+$/.test(t)).map(Number);
  } catch {
    return []; // namespace already gone
  }
}

export function destroyNamespace(ns: string): void {
  for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
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
