// The veth topology and traffic generator of the forwarding benchmarks (bench/pps.ts,
// bench/health/datapath-under-checks.ts), as root, in namespaces `PREFIX-g|d|s` made and removed here:
//
//   gen ns: g0 10.9.1.2 ──veth── d0 10.9.1.1 [director ns] d1 10.9.2.1 ──veth── s0 10.9.2.2 :sink ns
//
// The generator (bench/forwarder/fwd.c, `gen` mode: sendmmsg, paced by the monotonic clock, pinned
// to CPU 1) offers 64-byte UDP frames from 64 source ports to VIP 10.9.1.100:9 at the director's
// MAC; the sink's kernel counts what arrives (s0 rx_packets) and drops it: at its nft netdev
// ingress after sinkDropAtIngress(), else in its stack (no such local address: a forwarder sends
// to 10.9.2.3 with s0's MAC). Also: process CPU ticks from /proc, pinned
// spawning in the director namespace, the nft ingress drop that keeps the director's kernel off
// the frames for forwarders that have none of their own, and a bounded wait for a child's output.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FWD = join(ROOT, 'bench', 'out', 'fwd');
export const CLK_TCK = 100;
/** Where the generator sends (the forwarded service) and where forwarders send it (the sink). */
export const VIP = '10.9.1.100';
export const SINK_RS = '10.9.2.3';

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds bench/out/fwd (generator and C forwarder) when it is missing. */
export function ensureGenerator(): void {
  if (!existsSync(FWD)) sh('bash', [join(ROOT, 'bench', 'forwarder', 'build.sh')]);
}

function statTicks(path: string): number {
  const f = readFileSync(path, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14, 15)
}

/** user+sys clock ticks of a whole process (all threads). */
export function cpuTicks(pid: number): number {
  return statTicks(`/proc/${pid}/stat`);
}

/** user+sys clock ticks per thread of a process, by tid (threads that are gone are left out). */
export function threadTicks(pid: number): Map<number, number> {
  const m = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return m;
  }
  for (const t of tids) {
    try {
      m.set(Number(t), statTicks(`/proc/${pid}/task/${t}/stat`));
    } catch {
      // thread exited between readdir and read
    }
  }
  return m;
}

/** Resolves when `text` appears on the child's stdout or stderr; rejects on exit or after `ms`. */
export function waitFor(child: ChildProcess, text: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const t = setTimeout(() => reject(new Error(`timeout waiting for '${text}': ${seen.slice(-500)}`)), ms);
    const on = (d: Buffer) => { seen += d.toString(); if (seen.includes(text)) { clearTimeout(t); resolve(); } };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.on('exit', (c) => { clearTimeout(t); reject(new Error(`exited ${c}: ${seen.slice(-500)}`)); });
  });
}

/** SIGTERM, then SIGKILL after `ms` if it has not exited. */
export async function stopChild(child: ChildProcess, ms = 3000): Promise<void> {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  let to: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise((r) => { to = setTimeout(r, ms); })]);
  clearTimeout(to);
  if (child.exitCode === null && child.signalCode === null) {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

export class PpsTopology {
  readonly ns: { g: string; d: string; s: string };
  /** Every process spawnPinned started, killed by PID in teardown (before the namespace sweep). */
  private readonly children: ChildProcess[] = [];
  dMac = '';
  sMac = '';

  constructor(prefix: string) {
    this.ns = { g: `${prefix}-g`, d: `${prefix}-d`, s: `${prefix}-s` };
  }

  inNs(ns: string, cmd: string, args: string[], input?: string): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
  }

  /** Makes the three namespaces and two veth pairs (offloads off on every end). */
  setup(): void {
    const { g, d, s } = this.ns;
    for (const ns of [g, d, s]) {
      sh('ip', ['netns', 'add', ns]);
      this.inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    sh('ip', ['link', 'add', 'g0', 'netns', g, 'type', 'veth', 'peer', 'name', 'd0', 'netns', d]);
    sh('ip', ['link', 'add', 'd1', 'netns', d, 'type', 'veth', 'peer', 'name', 's0', 'netns', s]);
    this.inNs(g, 'ip', ['addr', 'add', '10.9.1.2/24', 'dev', 'g0']);
    this.inNs(d, 'ip', ['addr', 'add', '10.9.1.1/24', 'dev', 'd0']);
    this.inNs(d, 'ip', ['addr', 'add', '10.9.2.1/24', 'dev', 'd1']);
    this.inNs(s, 'ip', ['addr', 'add', '10.9.2.2/24', 'dev', 's0']);
    for (const [ns, i] of [[g, 'g0'], [d, 'd0'], [d, 'd1'], [s, 's0']] as const) {
      this.inNs(ns, 'ip', ['link', 'set', i, 'up']);
      this.inNs(ns, 'ethtool', ['-K', i, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    }
    this.dMac = this.inNs(d, 'cat', ['/sys/class/net/d0/address']).trim();
    this.sMac = this.inNs(s, 'cat', ['/sys/class/net/s0/address']).trim();
  }

  /** Kills the processes it started (by PID) and whatever else runs inside, deletes the namespaces; safe to call twice. */
  teardown(): void {
    for (const c of this.children) {
      if (c.pid && c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const ns of Object.values(this.ns)) destroyNamespace(ns);
  }

  sinkRx(): number {
    return Number(this.inNs(this.ns.s, 'cat', ['/sys/class/net/s0/statistics/rx_packets']));
  }

  /** An nft netdev ingress drop on d0, for forwarders that do not keep the kernel off themselves. */
  blockKernel(on: boolean): void {
    if (on) this.inNs(this.ns.d, 'nft', ['-f', '-'], 'table netdev uvsbench {\n chain in0 { type filter hook ingress device "d0" priority -500; policy drop; }\n}\n');
    else try { this.inNs(this.ns.d, 'nft', ['delete', 'table', 'netdev', 'uvsbench']); } catch { /* absent */ }
  }

  /**
   * Makes the sink drop what it receives at its nft netdev ingress (rx_packets still counts it):
   * on veth the receiver's stack runs in the sender's softirq, i.e. on the forwarder's CPU, so a
   * sink that routes each frame would charge that work to the forwarder.
   */
  sinkDropAtIngress(): void {
    this.inNs(this.ns.s, 'nft', ['-f', '-'], 'table netdev sink {\n chain in0 { type filter hook ingress device "s0" priority -500; policy drop; }\n}\n');
  }

  /** A process in the director namespace pinned to `cpu` (ip netns exec and taskset exec, so its pid is the command's). */
  spawnPinned(cpu: string, cmd: string, args: string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', this.ns.d, 'taskset', '-c', cpu, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(c);
    return c;
  }

  /** Offers `rate` frames/s (0 = as fast as it can) for `secs` s from CPU 1; returns what it sent. */
  gen(rate: number, secs: number): { sent: number; secs: number } {
    const out = sh('ip', ['netns', 'exec', this.ns.g, 'taskset', '-c', '1', FWD, 'gen', 'g0', this.dMac, '10.9.1.2', VIP, '9', String(rate), String(secs), '64', '64']);
    const m = /sent=(\d+) secs=([\d.]+)/.exec(out);
    return { sent: Number(m?.[1] ?? 0), secs: Number(m?.[2] ?? secs) };
  }
}
