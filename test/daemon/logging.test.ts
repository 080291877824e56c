// The daemon's log never stops the main thread: with stderr a pipe nobody reads, logging goes on
// (the lines beyond the backlog are dropped and counted) instead of blocking in write(2), which
// would freeze the health checks and the control socket that share the main thread.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lab.js';

const LOGGING = join(ROOT, 'dist', 'src', 'daemon', 'logging.js');

// 4,000 lines of ~4 KB = 16 MB, 4x the backlog and far more than a pipe holds (64 KB).
const CHILD = `
const { createLogger, droppedLogLines } = await import(${JSON.stringify(LOGGING)});
const log = createLogger('info');
const pad = 'x'.repeat(4000);
const t0 = Date.now();
for (let i = 0; i < 4000; i++) log.info({ i, pad }, 'line');
process.send({ ms: Date.now() - t0, dropped: droppedLogLines() }, () => process.exit(0));
`;

describe.runIf(existsSync(LOGGING))('daemon log', () => {
  it('keeps going when stderr is not read: the excess is dropped and counted, nothing blocks', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr!.pause(); // never read: the pipe fills after 64 KB
    try {
      const msg = await new Promise<{ ms: number; dropped: number }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('the logging child blocked (no answer in 10 s)')), 10_000);
        child.on('message', (m) => { clearTimeout(t); resolve(m as { ms: number; dropped: number }); });
        child.on('exit', (code) => { clearTimeout(t); reject(new Error(`child exited ${code} before answering`)); });
      });
      expect(msg.dropped).toBeGreaterThan(0);
      expect(msg.dropped).toBeLessThan(4000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
