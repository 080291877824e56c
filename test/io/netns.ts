// Helpers for lab tests of the io/daemon area: namespaces with unique `uvs-t-io-*` names, veth
// links between them, commands run inside them, and child processes killed by PID in cleanup.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export class Lab {
  readonly prefix: string;
  readonly namespaces: string[] = [];
  readonly children: ChildProcess[] = [];

  constructor(tag: string) {
    this.prefix = `uvs-t-io-${tag}-${process.pid % 100000}`;
  }

  ns(name: string): string {
    const full = `${this.prefix}-${name}`;
    sh('ip', ['netns', 'add', full]);
    this.namespaces.push(full);
    this.exec(full, 'ip', ['link', 'set', 'lo', 'up']);
    return full;
  }

  exec(ns: string, cmd: string, args: string[], input?: string): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
  }

  /** veth pair a@nsA <-> b@nsB, both up, with optional addresses (CIDR). */
  link(nsA: string, a: string, nsB: string, b: string, addrA?: string, addrB?: string): void {
    sh('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    if (addrA) this.exec(nsA, 'ip', ['addr', 'add', addrA, 'dev', a]);
    if (addrB) this.exec(nsB, 'ip', ['addr', 'add', addrB, 'dev', b]);
    this.exec(nsA, 'ip', ['link', 'set', a, 'up']);
    this.exec(nsB, 'ip', ['link', 'set', b, 'up']);
  }

  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  cleanup(): void {
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    // Kill anything left in each namespace (started by this lab only), then delete it.
    for (const ns of this.namespaces) destroyNamespace(ns);
  }
}

/** Collects a child's stdout lines; resolves when `pred` matches one, rejects after timeoutMs. */
export function waitForLine(child: ChildProcess, pred: (line: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`timeout waiting for output; stderr: ${err.slice(-2000)}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (pred(line)) { clearTimeout(timer); resolve(line); return; }
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited ${code}; stderr: ${err.slice(-2000)}`)); });
  });
}
