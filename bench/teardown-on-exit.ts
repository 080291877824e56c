// A benchmark registers its teardown here once, and it runs exactly once however the process
// ends. A `finally` block alone is not enough: it is skipped when the process dies first, e.g.
//   - SIGINT/SIGTERM/SIGHUP (Ctrl-C, `timeout`, a closed terminal): Node's default is to die at once;
//   - EPIPE on stdout/stderr (`node dist/bench/pps.js 2>&1 | head -20`): the stream emits an error
//     nobody handles, which ends the process as an uncaught exception;
//   - any other uncaught exception or unhandled rejection, or a process.exit() somewhere.
// Each of those left namespaces and forwarders behind.
//
// On EPIPE we tear down and exit (141 = 128 + SIGPIPE, what a C program's default SIGPIPE gives)
// rather than swallow the error and carry on: Node never closes stdout/stderr, so every later write
// raises EPIPE again while the bench would run its remaining minutes for no reader, still holding
// the heavy-run lock; and exiting does not rely on every bench having a finally around all of its
// work.
//
// Teardowns must be synchronous (spawnSync/execFileSync, process.kill by PID): they also run from
// the 'exit' event, where nothing asynchronous runs any more. A signal that arrives while the bench
// is inside a synchronous call (execFileSync of the generator, wrk) is handled when that call
// returns, which the bench bounds (--secs, --duration).

import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { CLOSED_PIPE_STATUS } from '../src/cli/closed-pipe.js';

interface Registered {
  name: string;
  fn: () => void;
  done: boolean;
}

const registered: Registered[] = [];
let installed = false;

/** Writes to fd 2 if it still works: after EPIPE on stderr there is no one to tell. */
function tell(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr is gone
  }
}

function runOnce(r: Registered): void {
  if (r.done) return;
  r.done = true;
  try {
    r.fn();
  } catch (err) {
    tell(`${r.name}: teardown failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/** Runs every registered teardown not yet run, the latest first (it may depend on earlier ones). */
function runAll(): void {
  for (let i = registered.length - 1; i >= 0; i--) runOnce(registered[i]!);
}

function exitAfterTeardown(code: number): never {
  runAll();
  process.exit(code);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => exitAfterTeardown(128 + constants.signals[sig]));
  }
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') exitAfterTeardown(CLOSED_PIPE_STATUS);
      tell(`${err.stack ?? String(err)}\n`);
      exitAfterTeardown(1);
    });
  }
  process.on('uncaughtException', (err) => {
    tell(`${err.stack ?? String(err)}\n`);
    exitAfterTeardown(1);
  });
  process.on('unhandledRejection', (reason) => {
    tell(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
    exitAfterTeardown(1);
  });
  // process.exit() from anywhere, or the normal end: whatever the finally did not run yet.
  process.on('exit', runAll);
}

/**
 * Registers `teardown` (synchronous, safe to call when half of it is already gone) to run exactly
 * once when the process ends for any reason. Returns the once-only teardown for the bench's own
 * `finally`, so the normal path and the exit paths never run it twice.
 */
export function teardownOnExit(name: string, teardown: () => void): () => void {
  install();
  const r: Registered = { name, fn: teardown, done: false };
  registered.push(r);
  return () => runOnce(r);
}
