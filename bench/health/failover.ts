// Failover seen by a client: DR lab (namespaces `uvs-b-health-*` made here, same layout as
// test/health/lab-keepalived.test.ts): client 10.0.0.2, director 10.0.0.1 running
// `uvs run --keepalived` (rr, DR, HTTP_GET on 2 real servers 10.0.0.11/12 with delay_loop 1,
// retry 1, delay_before_retry 1, connect_timeout 1), all on one bridge. The client opens a steady
// stream of new HTTP connections to the VIP (default 100/s for 10 s, each with a 1 s timeout);
// 3 s in, rs1's HTTP process is killed. Per run: failed client requests, and time to detect = kill
// until the director logs the table change (Removing = dest deleted; Disabling = weight 0).
// Modes, --runs each (median reported): (a) plain (dest removed), (b) inhibit_on_failure (weight 0),
// peer in the same run: the same failure with no health checking (failures until the end).
//   npm run build && node dist/bench/health/failover.js [--runs 3] [--rate 100] [--seconds 10] [--json]

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';
import { teardownOnExit } from '../teardown-on-exit.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const UVS = join(ROOT, 'dist', 'src', 'cli', 'uvs.js');
const UVSADM = join(ROOT, 'dist', 'src', 'cli', 'uvsadm.js');
const FIX = join(ROOT, 'test', 'daemon', 'fixtures');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const RUNS = arg('runs', 3);
const RATE = arg('rate', 100);
const SECONDS = arg('seconds', 10);
const KILL_AT_MS = 3000;
const JSON_OUT = process.argv.includes('--json');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

const prefix = `uvs-b-health-${process.pid % 100000}`;
const namespaces: string[] = [];
const children: ChildProcess[] = [];
const nsAdd = (name: string): string => {
  const full = `${prefix}-${name}`;
  sh('ip', ['netns', 'add', full]);
  namespaces.push(full);
  sh('ip', ['netns', 'exec', full, 'ip', 'link', 'set', 'lo', 'up']);
  return full;
};
const nsExec = (ns: string, cmd: string, args: string[]): string => sh('ip', ['netns', 'exec', ns, cmd, ...args]);
const nsSpawn = (ns: string, cmd: string, args: string[]): ChildProcess => {
  const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(c);
  return c;
};
const killWait = async (c: ChildProcess | null, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
  if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  try {
    process.kill(c.pid, sig);
  } catch {
    return;
  }
  await Promise.race([gone, sleep(5000)]);
};

// The load generator, run with node in the client namespace: one new connection (agent: false)
// every 1000/rate ms, 1 s timeout each; prints {sent, failed, failedAfterKill:[ms...]} as JSON.
const CLIENT = `
import http from 'node:http';
const [rate, seconds] = process.argv.slice(2).map(Number);
const n = rate * seconds, t0 = Date.now();
let done = 0, failed = 0; const failTimes = [];
const fin = () => { if (++done === n) process.stdout.write(JSON.stringify({ t0, sent: n, failed, failTimes }) + '\\n'); };
for (let i = 0; i < n; i++) setTimeout(() => {
  const ts = Date.now(); let over = false;
  const end = (ok) => { if (over) return; over = true; if (!ok) { failed++; failTimes.push(ts); } fin(); };
  const req = http.get({ host: '10.0.0.100', port: 80, path: '/', agent: false, timeout: 1000 }, (res) => {
    res.resume(); res.on('end', () => end(res.statusCode === 200)); res.on('error', () => end(false));
  });
  req.on('timeout', () => { req.destroy(); end(false); });
  req.on('error', () => end(false));
}, Math.round(i * 1000 / rate));
`;

type Mode = 'remove' | 'inhibit' | 'none';
interface Run {
  mode: Mode;
  sent: number;
  failed: number;
  detectMs: number | null;
  lastFailAfterKillMs: number | null;
  table: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

let tmp: string | null = null;
// Everything this bench made, by PID and by name; runs once, from main's finally or however else
// the process ends (signal, EPIPE, crash).
const teardown = teardownOnExit('failover', () => {
  for (const c of children) {
    if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const ns of namespaces) destroyNamespace(ns);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  tmp = mkdtempSync(join(tmpdir(), 'uvs-b-health-'));
  const clientFile = join(tmp, 'client.mjs');
  writeFileSync(clientFile, CLIENT);
  const rsNs: string[] = [];
  const rsProc: (ChildProcess | null)[] = [null, null];
  const startRs = async (k: number): Promise<void> => {
    const c = nsSpawn(rsNs[k], process.execPath, [join(FIX, 'rs-server.mjs'), `rs${k + 1}`, '80']);
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
  const runs: Run[] = [];
  try {
    const sw = nsAdd('sw');
    nsExec(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    nsExec(sw, 'ip', ['link', 'set', 'br0', 'up']);
    const cl = nsAdd('cl');
    const dir = nsAdd('dir');
    const nodes: Array<[string, string, string]> = [
      [cl, 'c0', '10.0.0.2/24'],
      [dir, 'd0', '10.0.0.1/24'],
    ];
    for (let i = 1; i <= 2; i++) {
      const ns = nsAdd(`rs${i}`);
      rsNs.push(ns);
      nodes.push([ns, `r${i}`, `10.0.0.1${i}/24`]);
    }
    nodes.forEach(([ns, ifname, addr], k) => {
      sh('ip', ['link', 'add', ifname, 'netns', ns, 'type', 'veth', 'peer', 'name', `p${k}`, 'netns', sw]);
      nsExec(ns, 'ip', ['addr', 'add', addr, 'dev', ifname]);
      nsExec(ns, 'ip', ['link', 'set', ifname, 'up']);
      nsExec(sw, 'ip', ['link', 'set', `p${k}`, 'up']);
      nsExec(sw, 'ip', ['link', 'set', `p${k}`, 'master', 'br0']);
    });
    nsExec(cl, 'ethtool', ['-K', 'c0', 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    for (let k = 0; k < 2; k++) {
      nsExec(rsNs[k], 'ip', ['addr', 'add', '10.0.0.100/32', 'dev', 'lo']);
      nsExec(rsNs[k], 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
      await startRs(k);
    }

    const order: Mode[] = [];
    for (let r = 0; r < RUNS; r++) order.push('remove', 'inhibit');
    order.push('none');
    for (const [idx, mode] of order.entries()) {
      if (!rsProc[0]) await startRs(0);
      const rs = (ip: string) =>
        mode === 'none'
          ? `    real_server ${ip} 80 {\n        weight 1\n    }\n`
          : `    real_server ${ip} 80 {\n        weight 1\n${mode === 'inhibit' ? '        inhibit_on_failure\n' : ''}        HTTP_GET {\n            url {\n                path /\n                status_code 200\n            }\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n            delay_loop 1\n        }\n    }\n`;
      const conf = join(tmp, `keepalived-${idx}.conf`);
      const sock = join(tmp, `uvs-${idx}.sock`);
      writeFileSync(conf, `virtual_server 10.0.0.100 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n${rs('10.0.0.11')}${rs('10.0.0.12')}}\n`);
      let log = '';
      let detectAt = 0;
      const director = nsSpawn(dir, process.execPath, [UVS, 'run', '--iface', 'd0', '--keepalived', conf, '--socket', sock]);
      const onData = (d: Buffer) => {
        log += d.toString();
        if (!detectAt && /(Removing|Disabling) service 10\.0\.0\.11:80/.test(log)) detectAt = Date.now();
      };
      director.stdout?.on('data', onData);
      director.stderr?.on('data', onData);
      let run: Run | null = null;
      try {
        for (let i = 0; i < 400 && !log.includes('"msg":"uvs running"') && director.exitCode === null; i++) await sleep(25);
        if (!log.includes('"msg":"uvs running"')) throw new Error(`uvs run did not start:\n${log}`);
        const listing = () => nsExec(dir, process.execPath, [UVSADM, '--socket', sock, '-L', '-n']);
        for (let i = 0; i < 100; i++) {
          try {
            if ((listing().match(/->\s+10\.0\.0\.1[12]:80/g) ?? []).length === 2) break;
          } catch {
            // socket not there yet
          }
          await sleep(50);
        }
        await sleep(500);
        const client = nsSpawn(cl, process.execPath, [clientFile, String(RATE), String(SECONDS)]);
        let out = '';
        client.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        const clientDone = new Promise((r) => client.once('exit', r));
        await sleep(KILL_AT_MS);
        const killAt = Date.now();
        await killWait(rsProc[0]);
        rsProc[0] = null;
        await Promise.race([clientDone, sleep(SECONDS * 1000 + 10_000)]);
        await killWait(client);
        const res = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { sent: number; failed: number; failTimes: number[] };
        const after = (res.failTimes ?? []).filter((t) => t >= killAt - 100);
        run = {
          mode,
          sent: res.sent,
          failed: res.failed,
          detectMs: detectAt ? detectAt - killAt : null,
          lastFailAfterKillMs: after.length ? Math.max(...after) - killAt : null,
          table: listing().split('\n').filter((l) => l.includes('->') && !l.includes('RemoteAddress')).map((l) => l.trim().replace(/\s+/g, ' ')).join(' | '),
        };
        runs.push(run);
        if (!JSON_OUT) console.log(JSON.stringify(run));
      } finally {
        await killWait(director, 'SIGTERM');
        await killWait(director);
      }
    }
  } finally {
    teardown();
  }
  const summary: Record<string, unknown> = {};
  for (const mode of ['remove', 'inhibit', 'none'] as Mode[]) {
    const rs = runs.filter((r) => r.mode === mode);
    summary[mode] = {
      runs: rs.length,
      sentPerRun: rs[0]?.sent,
      failedMedian: median(rs.map((r) => r.failed)),
      failed: rs.map((r) => r.failed),
      detectMsMedian: median(rs.filter((r) => r.detectMs !== null).map((r) => r.detectMs!)),
      detectMs: rs.map((r) => r.detectMs),
      lastFailAfterKillMsMedian: median(rs.filter((r) => r.lastFailAfterKillMs !== null).map((r) => r.lastFailAfterKillMs!)),
      tableAfter: rs[0]?.table,
    };
  }
  console.log(JSON.stringify(JSON_OUT ? { runs, summary } : summary, null, 2));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
