// A real benchmark (bench/pps.ts, the C forwarder only: three namespaces uvs-b-io-<pid>-g|d|s and
// one forwarder process in -d) must leave nothing behind when it ends early: (a) SIGTERM, (b) the
// reader of its stdout/stderr goes away, so its next write fails with EPIPE (`... | head`).
// Each case waits (bounded) until the forwarder runs, ends the bench, then checks that the bench
// exited, that none of its namespaces remain and that the forwarder is gone. Needs root and a
// built tree (npm run build); afterAll removes whatever a failed case left, by name and by PID.

import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNamespace, namespacePids } from '../../netns-lab/destroy-namespace.js';
import { pidAlive } from '../../netns-lab/exec.js';
import { labNamespaces } from '../../netns-lab/lab.js';

/** The bench's namespaces: <prefix>-g, -d, -s. */
const namespacesOf = (prefix: string): string[] => labNamespaces(`${prefix}-`);

const ROOT = join(import.meta.dirname, '..', '..');
const PPS = join(ROOT, 'dist', 'bench', 'pps.js');
const root = process.getuid?.() === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (pred()) return true;
    await sleep(100);
  }
  return pred();
}

interface Started { child: ChildProcess; prefix: string; forwarders: number[]; exit: Promise<{ code: number | null; signal: string | null }> }

const started: Started[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-teardown-'));

/** Starts the bench and resolves once its forwarder runs in its director namespace (≤ 20 s). */
async function startBench(): Promise<Started> {
  // Four rates of 1 s: long enough that the bench is still running when the case ends it.
  const child = spawn(process.execPath, [PPS, '--only', 'c-fwd', '--rates', '100000,100000,100000,100000', '--secs', '1', '--runs', '1', '--json', join(tmp, 'pps.json')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const s: Started = { child, prefix: `uvs-b-io-${child.pid! % 10000}`, forwarders: [], exit };
  started.push(s);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const up = await until(() => {
    s.forwarders = namespacePids(`${s.prefix}-d`);
    return s.forwarders.length > 0 || child.exitCode !== null;
  }, 20_000);
  if (!up || s.forwarders.length === 0) throw new Error(`the bench's forwarder never ran (exit ${child.exitCode}):\n${log.slice(-2000)}`);
  expect(namespacesOf(s.prefix).sort()).toEqual([`${s.prefix}-d`, `${s.prefix}-g`, `${s.prefix}-s`]);
  return s;
}

async function expectCleanExit(s: Started, code: number): Promise<void> {
  const ended = await Promise.race([s.exit, sleep(10_000).then(() => null)]);
  expect(ended, 'the bench did not exit within 10 s').not.toBeNull();
  expect(namespacesOf(s.prefix), 'namespaces left behind').toEqual([]);
  expect(await until(() => s.forwarders.every((p) => !pidAlive(p)), 2000), `forwarder ${s.forwarders.join(',')} survived`).toBe(true);
  // 128 + signal number: the exit came from the teardown helper, not from a crash or normal end.
  expect(ended!.code).toBe(code);
}

describe.skipIf(!root)('benchmarks clean up however they end (bench/teardown-on-exit.ts)', () => {
  afterAll(() => {
    for (const s of started) {
      for (const pid of [s.child.pid ?? 0, ...s.forwarders]) {
        if (pid > 0 && pidAlive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      for (const ns of ['g', 'd', 's']) destroyNamespace(`${s.prefix}-${ns}`);
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('SIGTERM: exits 143 and removes its namespaces and forwarder', async () => {
    const s = await startBench();
    s.child.kill('SIGTERM');
    await expectCleanExit(s, 143);
  });

  it('EPIPE (the reader of its output went away): exits 141 and removes its namespaces and forwarder', async () => {
    const s = await startBench();
    // Close our read ends: the bench's next progress line (after its first 1 s rate) hits EPIPE.
    s.child.stdout!.destroy();
    s.child.stderr!.destroy();
    await expectCleanExit(s, 141);
  });
});
