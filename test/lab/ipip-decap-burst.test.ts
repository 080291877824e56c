// The userspace decapsulator must take a burst that arrives while it waits for a CPU: the director
// sends in batches and on a busy lab the decapsulator's process is not always running. Its raw
// socket queue is sized for that (netns-lab/ipip-decap.ts RCVBUF_BYTES); with the kernel's default
// queue (rmem_default, ~208 KiB: about 256 of these packets) this burst overflows it.
// Here: a decapsulator in a namespace of its own is stopped (SIGSTOP), a burst of IP-in-IP packets
// is sent to it over loopback, and once it runs again it must have delivered every one to its
// TUN device, with no drop counted by the kernel on its socket. Runs dist/ (`npm test` builds).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_ROOT } from '../../netns-lab/lab.js';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';
import { must, nsMust, waitFor } from '../../netns-lab/exec.js';
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

/** The kernel's drop count on this namespace's IPPROTO_IPIP raw sockets (/proc/net/raw). */
function rawSocketDrops(): number {
  return nsMust(NS, 'cat', ['/proc/net/raw']).split('\n').filter((l) => / 00000000:0004 /.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/).pop()), 0);
}

describe.skipIf(!isRoot)('ipip-decap under a burst (root)', () => {
  it(`delivers all of ${BURST} packets that arrived while it was stopped`, async () => {
    must('ip', ['netns', 'add', NS]);
    nsMust(NS, 'ip', ['link', 'set', 'lo', 'up']);
    const ready = join(dir, 'ready');
    let out = '';
    decap = spawn('ip', ['netns', 'exec', NS, process.execPath, DECAP, '--dev', 'ipip0', '--ready', ready], { stdio: ['ignore', 'pipe', 'inherit'] });
    decap.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    if (!(await waitFor(() => existsSync(ready), 10_000))) throw new Error('the decapsulator was not ready within 10 s');
    // `ip netns exec` execs node, so the child's pid is the decapsulator's.
    process.kill(decap.pid!, 'SIGSTOP');
    nsMust(NS, process.execPath, [SEND, '--rip', '127.0.0.1', '--src', '10.9.0.2', '--dst', '10.0.0.100', '--sport', '5555', '--dport', '7', '--count', String(BURST)]);
    process.kill(decap.pid!, 'SIGCONT');
    const report = () => {
      const m = [...out.matchAll(/ipip-decap ipip0: (\{.*\})/g)].pop();
      return m ? (JSON.parse(m[1]!) as { received: number; delivered: number }) : null;
    };
    // Every packet of the burst ends up either delivered or dropped by the kernel at the socket.
    const drained = await waitFor(() => {
      process.kill(decap!.pid!, 'SIGUSR1');
      const r = report();
      return r !== null && r.received + rawSocketDrops() >= BURST;
    }, 10_000);
    expect(drained, `last report ${JSON.stringify(report())}, kernel drops ${rawSocketDrops()}`).toBe(true);
    expect(rawSocketDrops()).toBe(0);
    expect(report()).toMatchObject({ received: BURST, delivered: BURST });
  }, 30_000);
});
