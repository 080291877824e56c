// `uvs run` refusing to start, clearly and without leaving anything behind (as root, in a
// namespace made here): an unknown interface, a broken rules file (every problem as file:line),
// a control socket already served by another director; and the socket's mode is 0600.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, isRoot } from '../io/netns.js';
import { UVS, startDirector, stopDirector } from './lab.js';

describe.runIf(isRoot())('uvs run start-up errors (root)', () => {
  const lab = new Lab('err');
  const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-io-err-'));
  let ns = '';
  const run = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, process.execPath, UVS, 'run', ...args], { encoding: 'utf8', timeout: 20000 });
  const nftTable = () => spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'netdev', 'uvs'], { encoding: 'utf8' }).status;

  beforeAll(() => {
    ns = lab.ns('d');
    const peer = lab.ns('p');
    lab.link(ns, 'e0', peer, 'e1', '10.0.0.1/24');
  });
  afterAll(() => {
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('names a missing interface and exits 1, leaving no nft table', () => {
    const r = run('--iface', 'nosuch0', '--socket', join(tmp, 'a.sock'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("uvs run: no such interface 'nosuch0'");
    expect(nftTable()).not.toBe(0);
  });

  it('refuses a broken rules file with every problem as file:line', () => {
    const rules = join(tmp, 'broken.rules');
    writeFileSync(rules, '-A -t 10.0.0.100:80 -s rr\n-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g\n-A -t 10.0.0.100:80 -s nosuchsched\n-a -t 10.0.0.200:80 -r 10.0.0.11:80 -g\n');
    const r = run('--iface', 'e0', '--rules', rules, '--socket', join(tmp, 'b.sock'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`refusing ${rules}:`);
    expect(r.stderr).toMatch(new RegExp(`${rules.replace(/[.]/g, '\\.')}:3: `));
    expect(r.stderr).toMatch(new RegExp(`${rules.replace(/[.]/g, '\\.')}:4: `));
    expect(nftTable()).not.toBe(0);
  });

  it('serves its control socket with mode 0600 and refuses a second director on it', async () => {
    const sock = join(tmp, 'c.sock');
    const d = await startDirector(lab, ns, ['--iface', 'e0', '--socket', sock]);
    try {
      expect(statSync(sock).mode & 0o777).toBe(0o600);
      const r = run('--iface', 'e0', '--socket', sock);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('is in use by another uvs run');
    } finally {
      expect(await stopDirector(d)).toBe(0);
    }
  });
});
