// Shared setup for the daemon lab tests: a `uvs run` spawned in a namespace, waited for, talked to
// over its control socket, and stopped with SIGTERM (SIGKILL by PID in cleanup if it hangs).

import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Lab } from '../io/netns.js';

export const ROOT = join(__dirname, '..', '..');
export const UVS = join(ROOT, 'dist', 'src', 'cli', 'uvs.js');
export const UVSADM = join(ROOT, 'dist', 'src', 'cli', 'uvsadm.js');
export const FIX = join(__dirname, 'fixtures');

export interface Director {
  child: ChildProcess;
  log: () => string;
}

/** Starts `uvs run ARGS` in ns and resolves once it logged "uvs running". */
export function startDirector(lab: Lab, ns: string, args: string[], timeoutMs = 15000): Promise<Director> {
  const child = lab.spawn(ns, process.execPath, [UVS, 'run', ...args]);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdout?.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`uvs run did not start:\n${err}`)), timeoutMs);
    const check = setInterval(() => {
      if (err.includes('"msg":"uvs running"')) {
        clearInterval(check);
        clearTimeout(t);
        resolve({ child, log: () => err });
      }
    }, 20);
    child.on('exit', (code) => { clearInterval(check); clearTimeout(t); reject(new Error(`uvs run exited ${code}:\n${err}`)); });
  });
}

/** SIGTERM and wait for the exit status. */
export function stopDirector(d: Director, timeoutMs = 5000): Promise<number | null> {
  return new Promise((resolve) => {
    if (d.child.exitCode !== null) { resolve(d.child.exitCode); return; }
    const t = setTimeout(() => { if (d.child.pid) try { process.kill(d.child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    d.child.once('exit', (code) => { clearTimeout(t); resolve(code); });
    d.child.kill('SIGTERM');
  });
}

/** One control-socket request, one reply line. */
export function control(socketPath: string, req: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify(req) + '\n'));
    s.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) { s.end(); resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>); }
    });
    s.on('error', reject);
  });
}

export function ipvsadm(socketPath: string, ...argv: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return control(socketPath, { op: 'ipvsadm', argv, stdin: '' }) as Promise<{ stdout: string; stderr: string; code: number }>;
}

/** Offloads off on a veth end uvs does not drive (the sending peer decides about TSO/partial csum). */
export function offloadsOff(lab: Lab, ns: string, ifname: string): void {
  lab.exec(ns, 'ethtool', ['-K', ifname, 'tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
}
