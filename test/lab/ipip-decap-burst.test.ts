// The userspace decapsulator must take a burst that arrives while it waits for a CPU: the director
// sends in batches and on a busy lab the decapsulator's process is not always running. Its raw
// socket queue is sized for that (netns-lab/ipip-decap.ts RCVBUF_BYTES); with the kernel's default
// queue (rmem_default, ~208 KiB: about 256 of these packets) this burst overflows it.
// Here: a decapsulator in a namespace of its own is stopped (SIGSTOP), a burst of IP-in-IP packets
// is sent to it over loopback, and once it runs again it must have delivered every one to its
// TUN device, with no drop counted by the kernel on its socket. Runs dist/ (`npm test` builds).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_ROOT } from '../../netns-lab/lab.js';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';
import { isRoot } from './helpers.js';

const NS = `uvs-t-decap-${process.pid}`;
const BURST = 800;
const DECAP = join(DIST_ROOT, 'netns-lab', 'ipip-decap.js');
const SEND = join(DIST_ROOT, 'netns-lab', 'ipip-send.js');
const dir = mkdtempSync(join(tmpdir(), 'uvs-t-decap-'));
let decap: ChildProcess | null = null;

afterAll(() => {
  if (decap?.pid) try { process.kill(decap.pid, 'SIGKILL'); } catch { /* already gone */ }
  destroyNamespace(NS);
  rmSync(dir, { recursive: true, force: true });
});

function inNs(cmd: string, args: string[]): void {
  const r = spawnSync('ip', ['netns', 'exec', NS, cmd, ...args], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Waits (bounded) until `test` holds, polling every 50 ms. */
async function until(what: string, test: () => boolean, ms: number, state: () => string = () => ''): Promise<void> {
  for (const end = Date.now() + ms; !test(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${state()}`.trim());
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The kernel's drop count on this namespace's IPPROTO_IPIP raw sockets (/proc/net/raw). */
function rawSocketDrops(): number {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'cat', '/proc/net/raw'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => / 00000000:0004 /.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/).pop()), 0);
}

describe.skipIf(!isRoot)('ipip-decap under a burst (root)', () => {
  it(`delivers all of ${BURST} packets that arrived while it was stopped`, async () => {
    spawnSync('ip', ['netns', 'add', NS]);
    inNs('ip', ['link', 'set', 'lo', 'up']);
    const ready = join(dir, 'ready');
    let out = '';
    decap = spawn('ip', ['netns', 'exec', NS, process.execPath, DECAP, '--dev', 'ipip0', '--ready', ready], { stdio: ['ignore', 'pipe', 'inherit'] });
    decap.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the decapsulator to be ready', () => existsSync(ready), 10_000);
    // `ip netns exec` execs node, so the child's pid is the decapsulator's.
    process.kill(decap.pid!, 'SIGSTOP');
    inNs(process.execPath, [SEND, '--rip', '127.0.0.1', '--src', '10.9.0.2', '--dst', '10.0.0.100', '--sport', '5555', '--dport', '7', '--count', String(BURST)]);
    process.kill(decap.pid!, 'SIGCONT');
    const report = () => {
      const m = [...out.matchAll(/ipip-decap ipip0: (\{.*\})/g)].pop();
      return m ? (JSON.parse(m[1]!) as { received: number; delivered: number }) : null;
    };
    // Every packet of the burst ends up either delivered or dropped by the kernel at the socket.
    await until('the decapsulator to drain its queue', () => {
      process.kill(decap!.pid!, 'SIGUSR1');
      const r = report();
      return r !== null && r.received + rawSocketDrops() >= BURST;
    }, 10_000, () => `(last report ${JSON.stringify(report())}, kernel drops ${rawSocketDrops()})`);
    expect(rawSocketDrops()).toBe(0);
    expect(report()).toMatchObject({ received: BURST, delivered: BURST });
  }, 30_000);
});
