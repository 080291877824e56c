// `uvs run --keepalived F` and SIGHUP (as root, in namespaces `uvs-t-io-kahup-*` made here):
//
//   director 10.0.0.1 (uvs run --iface d0 --keepalived F) ── rs 10.0.0.11-.14 (one HTTP server on :80)
//
// TCP_CHECK keeps .11, .12 in the table and .14 out (its check goes to port 81, closed); the
// start-up table goes to the datapath in one piece, and the main thread runs below the worker. F is
// edited (.13 added, .11 removed) and SIGHUP makes the table over the control socket show the new
// set, with .14 still out (down stays down across a reload). A broken F on SIGHUP is refused with
// the reason in the log; the table stays as it was and the daemon keeps running. Cleanup kills
// the spawned processes by PID and deletes the namespaces, even when a test fails.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, isRoot } from '../io/netns.js';
import { FIX, UVS, ipvsadm, startDirector, stopDirector, type Director } from './lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rs(ip: string, port = 80): string {
  return `
    real_server ${ip} 80 {
        weight 1
        TCP_CHECK {
            connect_port ${port}
            connect_timeout 1
            retry 0
            delay_loop 0.2
            warmup 0
        }
    }`;
}

const conf = (servers: string[]): string =>
  `global_defs {\n    router_id uvs-test\n}\nvirtual_server 10.0.0.100 80 {\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n${servers.join('\n')}\n}\n`;

describe.runIf(isRoot() && existsSync(UVS))('uvs run --keepalived: SIGHUP (root)', () => {
  const lab = new Lab('kahup');
  const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-kahup-'));
  const sock = join(tmp, 'uvs.sock');
  const file = join(tmp, 'keepalived.conf');
  let director: Director | null = null;

  const dests = async (): Promise<string[]> => {
    const r = await ipvsadm(sock, '-L', '-n');
    expect(r.code).toBe(0);
    return [...r.stdout.matchAll(/->\s+(10\.0\.0\.1\d):80/g)].map((m) => m[1]).sort();
  };
  const waitDests = async (want: string[]): Promise<void> => {
    let got: string[] = [];
    for (let i = 0; i < 150; i++) {
      got = await dests();
      if (JSON.stringify(got) === JSON.stringify(want)) return;
      await sleep(40);
    }
    throw new Error(`table never became ${want.join(',')} (is ${got.join(',')}):\n${director?.log().slice(-3000) ?? ''}`);
  };
  const waitLog = async (text: string, from: number): Promise<string> => {
    for (let i = 0; i < 150; i++) {
      const tail = director!.log().slice(from);
      if (tail.includes(text)) return tail;
      await sleep(20);
    }
    throw new Error(`no '${text}' in the log:\n${director!.log().slice(from)}`);
  };

  beforeAll(async () => {
    const dir = lab.ns('dir');
    const rsNs = lab.ns('rs');
    lab.link(dir, 'd0', rsNs, 'r0', '10.0.0.1/24', '10.0.0.11/24');
    for (const a of ['10.0.0.12', '10.0.0.13', '10.0.0.14']) lab.exec(rsNs, 'ip', ['addr', 'add', `${a}/24`, 'dev', 'r0']);
    const srv = lab.spawn(rsNs, process.execPath, [join(FIX, 'rs-server.mjs'), 'rs', '80']);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('rs-server did not start')), 10_000);
      srv.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('listening')) { clearTimeout(t); resolve(); } });
    });
    writeFileSync(file, conf([rs('10.0.0.11'), rs('10.0.0.12'), rs('10.0.0.14', 81)]));
    director = await startDirector(lab, dir, ['--iface', 'd0', '--keepalived', file, '--socket', sock, '--keep-offloads']);
  });

  afterAll(async () => {
    try {
      if (director) await stopDirector(director);
    } finally {
      lab.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('starts with the real servers whose checks pass', async () => {
    await waitDests(['10.0.0.11', '10.0.0.12']);
  });

  it('sends the start-up table (service and all three real servers) to the datapath as one table', () => {
    const first = director!.log().split('\n').find((l) => l.includes('"msg":"table changed"'));
    expect(first, director!.log()).toBeDefined();
    expect(JSON.parse(first!)).toMatchObject({ services: 1, dests: 3 });
  });

  it('runs the main thread at nice 10 and the datapath worker thread at 0', () => {
    const pid = director!.child.pid!;
    const niceOf = (tid: string): number => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
    };
    expect(niceOf(String(pid))).toBe(10);
    const others = readdirSync(`/proc/${pid}/task`).filter((t) => t !== String(pid)).map(niceOf);
    expect(others).toContain(0);
    expect(director!.log()).toContain('main thread priority lowered below the datapath worker');
  });

  it('SIGHUP after an edit (one real server added, one removed) shows the new table; the down one stays out', async () => {
    const from = director!.log().length;
    writeFileSync(file, conf([rs('10.0.0.12'), rs('10.0.0.13'), rs('10.0.0.14', 81)]));
    director!.child.kill('SIGHUP');
    const tail = await waitLog('"msg":"reloaded"', from);
    const line = tail.split('\n').find((l) => l.includes('"msg":"reloaded"'))!;
    const rec = JSON.parse(line) as Record<string, unknown>;
    expect(rec.realServers).toEqual({ added: 1, removed: 1, changed: 0 });
    expect(rec.checkers).toEqual({ added: 1, removed: 1, kept: 2 });
    expect(rec.services).toEqual({ added: 0, removed: 0, changed: 1, unchanged: 0 });
    await waitDests(['10.0.0.12', '10.0.0.13']);
    // A few check rounds later (delay_loop 0.2 s) .14 is still down and out of the table.
    await sleep(600);
    expect(await dests()).toEqual(['10.0.0.12', '10.0.0.13']);
    expect(director!.log().slice(from)).not.toContain('Adding service 10.0.0.14:80');
    expect(director!.log().slice(from)).toContain('Removing service 10.0.0.11:80 from VS TCP 10.0.0.100:80 (no longer configured)');
  });

  it('SIGHUP with a broken file is refused with the reason; the table stays and uvs runs on', async () => {
    const from = director!.log().length;
    writeFileSync(file, conf([rs('10.0.0.12'), rs('10.0.0.13')]).replace('weight 1', 'wieght 1').replace(/\}\n$/, ''));
    director!.child.kill('SIGHUP');
    const tail = await waitLog('reload refused', from);
    expect(tail).toContain("Unknown keyword 'wieght'");
    expect(tail).toContain("missing '}'");
    expect(tail).not.toContain('"msg":"reloaded"');
    expect(director!.child.exitCode).toBeNull();
    expect(await dests()).toEqual(['10.0.0.12', '10.0.0.13']);
    // The checkers still run: the table is still answered and unchanged after more rounds.
    await sleep(400);
    expect(await dests()).toEqual(['10.0.0.12', '10.0.0.13']);
  });

  it('stops cleanly on SIGTERM after the reloads', async () => {
    const code = await stopDirector(director!);
    director = null;
    expect(code).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});
