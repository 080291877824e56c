// bench/forwarder/xdp-fwd.c refuses bad arguments with a message and exit code 2 before it touches
// BPF or a device: usage, a bad MAC, a missing interface. Compiled into a temporary directory (the
// bench's own build goes to bench/out); skipped when there is no C compiler.

import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SRC = join(import.meta.dirname, '..', '..', 'bench', 'forwarder', 'xdp-fwd.c');
const dir = mkdtempSync(join(tmpdir(), 'uvs-t-xdpfwd-'));
const bin = join(dir, 'xdp-fwd');
const cc = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, SRC], { encoding: 'utf8', timeout: 30_000 });
const built = cc.status === 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8', timeout: 5_000 });

describe.skipIf(cc.error !== undefined)('xdp-fwd argument errors', () => {
  it('compiles without warnings', () => {
    expect(cc.stderr).toBe('');
    expect(built).toBe(true);
  });

  it('prints its usage without arguments', () => {
    const r = run([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: xdp-fwd IN OUT DSTMAC [BATCH]');
  });

  it('refuses a bad MAC', () => {
    const r = run(['lo', 'lo', 'not-a-mac']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad MAC not-a-mac');
  });

  it('refuses a missing interface by name', () => {
    const r = run(['uvs-t-xdp-none', 'lo', '02:00:00:00:00:01']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no such interface 'uvs-t-xdp-none'");
  });
});
