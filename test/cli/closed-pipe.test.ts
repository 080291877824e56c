// A reader that goes away (`uvsadm -L -n | head -3`, `uvs trace | head`) must end a uvs command
// as SIGPIPE ends ipvsadm: at once, silently, status 141, not with Node's unhandled 'error' stack
// trace and status 1. `uvs lab` is the exception: it keeps going so that its teardown runs.
// Runs the built CLI (dist/): `npm test` builds first.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLOSED_PIPE_STATUS } from '../../src/cli/closed-pipe.js';

const UVS = fileURLToPath(new URL('../../dist/src/cli/uvs.js', import.meta.url));
const UVSADM = fileURLToPath(new URL('../../dist/src/cli/uvsadm.js', import.meta.url));

/** Runs `node script args` with its stdout's reader already gone; the exit status and stderr. */
function runWithClosedStdout(script: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} still running after 10 s`));
    }, 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('output to a reader that has gone away', () => {
  it('is 128 + SIGPIPE, as a shell reports a C tool killed by SIGPIPE', () => {
    expect(CLOSED_PIPE_STATUS).toBe(141);
  });

  it.each([
    ['uvsadm -h', UVSADM, ['-h']],
    ['uvsadm --version', UVSADM, ['--version']],
    ['uvs --help', UVS, ['--help']],
    ['uvs lint --help', UVS, ['lint', '--help']],
    ['uvs status --help', UVS, ['status', '--help']],
    ['uvs run --help', UVS, ['run', '--help']],
  ])('%s stops quietly with status 141', async (_name, script, args) => {
    const r = await runWithClosedStdout(script, args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(CLOSED_PIPE_STATUS);
  });

  it('uvs lab carries on to its normal end (it has namespaces to remove first)', async () => {
    const r = await runWithClosedStdout(UVS, ['lab', '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
