// `uvs run --keepalived` end to end, DR (as root, in namespaces `uvs-t-health-*` made here):
//
//   client 10.0.0.2 ─┐
//   director 10.0.0.1 (uvs run --keepalived, HTTP_GET on each real server) ─┤ bridge (ns "sw")
//   rs1 10.0.0.11, rs2 10.0.0.12, sorry 10.0.0.13 (VIP on lo, arp_ignore/announce) ─┘
//
// Stopping a real server's HTTP takes it out of the table (client traffic goes to the other),
// stopping both brings in the sorry server, starting one again restores it and removes the
// sorry server. Cleanup kills spawned processes by PID and deletes the namespaces.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';

const ROOT = join(import.meta.dirname, '..', '..');
const UVS = join(ROOT, 'dist', 'src', 'cli', 'uvs.js');
const FIX = join(ROOT, 'test', 'daemon', 'fixtures');

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

class HealthLab {
  readonly prefix = `uvs-t-health-${process.pid % 100000}`;
  readonly namespaces: string[] = [];
  readonly children: ChildProcess[] = [];
  ns(name: string): string {
    const full = `${this.prefix}-${name}`;
    sh('ip', ['netns', 'add', full]);
    this.namespaces.push(full);
    this.exec(full, 'ip', ['link', 'set', 'lo', 'up']);
    return full;
  }
  exec(ns: string, cmd: string, args: string[]): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  }
  link(nsA: string, a: string, nsB: string, b: string, addrA: string): void {
    sh('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    this.exec(nsA, 'ip', ['addr', 'add', addrA, 'dev', a]);
    this.exec(nsA, 'ip', ['link', 'set', a, 'up']);
    this.exec(nsB, 'ip', ['link', 'set', b, 'up']);
  }
  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(c);
    return c;
  }
  cleanup(): void {
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    for (const ns of this.namespaces) destroyNamespace(ns);
  }
}

function canRun(): boolean {
  return process.getuid?.() === 0 && existsSync(UVS);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Needs root and a built dist/ (npm test builds first).
describe.runIf(canRun())('uvs run --keepalived, DR (root)', () => {
  const lab = new HealthLab();
  const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-health-lab-'));
  const sock = join(tmp, 'uvs.sock');
  const conf = join(tmp, 'keepalived.conf');
  let cl = '';
  let dir = '';
  const rsNs: string[] = [];
  const rsProc: (ChildProcess | null)[] = [];
  let director: ChildProcess | null = null;
  let log = '';

  const startRs = async (k: number): Promise<void> => {
    const c = lab.spawn(rsNs[k], process.execPath, [join(FIX, 'rs-server.mjs'), `rs${k + 1}`, '80']);
    rsProc[k] = c;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('rs did not start')), 10_000);
      c.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
  };
  const stopRs = async (k: number): Promise<void> => {
    const c = rsProc[k];
    if (!c?.pid) return;
    const gone = new Promise((r) => c.once('exit', r));
    process.kill(c.pid, 'SIGKILL');
    await gone;
    rsProc[k] = null;
  };
  const client = (n: number): string[] =>
    lab.exec(cl, process.execPath, [join(FIX, 'client.mjs'), 'tcp', '10.0.0.100', '80', String(n)]).trim().split('\n');
  const listing = (): string => lab.exec(dir, process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'uvsadm.js'), '--socket', sock, '-L', '-n']);
  const dests = (): string[] => [...listing().matchAll(/->\s+(10\.0\.0\.1\d):80/g)].map((m) => m[1]).sort();
  const waitDests = async (want: string[]): Promise<void> => {
    for (let i = 0; i < 250; i++) {
      try {
        if (JSON.stringify(dests()) === JSON.stringify(want)) return;
      } catch {
        // socket not there yet
      }
      await sleep(40);
    }
    throw new Error(`table never became ${want.join(',')}: ${listing()}\n${log.slice(-3000)}`);
  };

  beforeAll(async () => {
    const sw = lab.ns('sw');
    lab.exec(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    lab.exec(sw, 'ip', ['link', 'set', 'br0', 'up']);
    cl = lab.ns('cl');
    dir = lab.ns('dir');
    const nodes: Array<[string, string, string]> = [
      [cl, 'c0', '10.0.0.2/24'],
      [dir, 'd0', '10.0.0.1/24'],
    ];
    for (let i = 1; i <= 3; i++) {
      const ns = lab.ns(`rs${i}`);
      rsNs.push(ns);
      nodes.push([ns, `r${i}`, `10.0.0.1${i}/24`]);
    }
    nodes.forEach(([ns, ifname, addr], k) => {
      lab.link(ns, ifname, sw, `p${k}`, addr);
      lab.exec(sw, 'ip', ['link', 'set', `p${k}`, 'master', 'br0']);
    });
    lab.exec(cl, 'ethtool', ['-K', 'c0', 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    for (let k = 0; k < 3; k++) {
      lab.exec(rsNs[k], 'ip', ['addr', 'add', '10.0.0.100/32', 'dev', 'lo']);
      lab.exec(rsNs[k], 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
      await startRs(k);
    }
    const rs = (ip: string) => `
    real_server ${ip} 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 0
            delay_loop 0.2
            warmup 0
        }
    }`;
    writeFileSync(
      conf,
      `virtual_server 10.0.0.100 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    sorry_server 10.0.0.13 80\n${rs('10.0.0.11')}\n${rs('10.0.0.12')}\n}\n`,
    );
    director = lab.spawn(dir, process.execPath, [UVS, 'run', '--iface', 'd0', '--keepalived', conf, '--socket', sock]);
    director.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    director.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 400 && !log.includes('"msg":"uvs running"'); i++) {
      if (director.exitCode !== null) break;
      await sleep(25);
    }
    if (!log.includes('"msg":"uvs running"')) throw new Error(`uvs run did not start:\n${log}`);
  });

  afterAll(async () => {
    if (director?.pid && director.exitCode === null) {
      const gone = new Promise((r) => director!.once('exit', r));
      director.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
    }
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('starts with both real servers in the table and serving', async () => {
    await waitDests(['10.0.0.11', '10.0.0.12']);
    expect(new Set(client(4))).toEqual(new Set(['rs1', 'rs2']));
  });

  it('a real server whose HTTP stops leaves the table; traffic goes to the other', async () => {
    await stopRs(0);
    await waitDests(['10.0.0.12']);
    expect(client(3)).toEqual(['rs2', 'rs2', 'rs2']);
    for (let i = 0; i < 100 && !log.includes('Removing service 10.0.0.11:80 from VS TCP 10.0.0.100:80'); i++) await sleep(20);
    expect(log).toContain('Removing service 10.0.0.11:80 from VS TCP 10.0.0.100:80: HTTP_GET failed');
  });

  it('with no real server up the sorry server takes over, and leaves when one is back', async () => {
    await stopRs(1);
    await waitDests(['10.0.0.13']);
    expect(client(2)).toEqual(['rs3', 'rs3']);
    await startRs(0);
    await waitDests(['10.0.0.11']);
    expect(client(2)).toEqual(['rs1', 'rs1']);
  });
});
