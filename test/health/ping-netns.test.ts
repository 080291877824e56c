// PING_CHECK failure paths in a private network namespace (root): an address whose ICMP echo
// requests an nftables rule drops, and an address with no route. The checker is compiled with
// tsc and run inside the namespace with `ip netns exec`; the namespace is deleted in finally.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NS = `uvs-t-health-ping-${process.pid}`;
const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'node_modules', '.cache', `uvs-t-health-ping-${process.pid}`);

function canNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Needs root, ip and nft: skipped (with this reason) where they are missing.
describe.skipIf(!canNetns())('PING_CHECK in a namespace', () => {
  it('succeeds on loopback, fails where ICMP is dropped and where there is no route', () => {
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), [
        '--outDir', OUT, '--rootDir', join(ROOT, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext',
        '--target', 'es2022', '--skipLibCheck', '--types', 'node',
        join(ROOT, 'src/health/ping-check.ts'), join(ROOT, 'src/health/raw-socket.d.ts'),
      ], { stdio: 'pipe' });
      writeFileSync(join(OUT, 'package.json'), '{"type":"module"}\n');
      writeFileSync(
        join(OUT, 'run.js'),
        [
          "import { PingCheck } from './health/ping-check.js';",
          "const mk = (host) => new PingCheck({ af: 4, host, port: 0, bindto: null, bindPort: 0, timeoutMs: 500 });",
          'const s = new AbortController().signal;',
          "const out = { lo: await mk('127.0.0.1').run(s), dropped: await mk('10.99.0.1').run(s), noroute: await mk('10.98.0.1').run(s), lo2: await mk('10.99.0.2').run(s) };",
          'console.log(JSON.stringify(out));',
        ].join('\n'),
      );
      execFileSync('ip', ['netns', 'add', NS]);
      execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
      execFileSync('ip', ['-n', NS, 'addr', 'add', '10.99.0.1/32', 'dev', 'lo']);
      execFileSync('ip', ['-n', NS, 'addr', 'add', '10.99.0.2/32', 'dev', 'lo']);
      execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], {
        input: 'table inet uvs_t_health {\n chain input {\n type filter hook input priority 0;\n ip daddr 10.99.0.1 icmp type echo-request drop\n }\n}\n',
      });
      const out = JSON.parse(execFileSync('ip', ['netns', 'exec', NS, process.execPath, join(OUT, 'run.js')], { encoding: 'utf8', timeout: 20_000 }));
      expect(out.lo).toMatchObject({ ok: true, reason: 'echo reply' });
      expect(out.lo2).toMatchObject({ ok: true, reason: 'echo reply' });
      expect(out.dropped).toMatchObject({ ok: false, reason: 'no echo reply' });
      expect(out.noroute.ok).toBe(false);
    } finally {
      try {
        execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
      } catch {
        // Never created.
      }
      rmSync(OUT, { recursive: true, force: true });
    }
  });
});
