#!/usr/bin/env node
// `uvsadm`: ipvsadm for uvs. Sends its arguments (and, for -R only, standard input) to the
// running `uvs run` over the control socket, prints the reply and exits with its status.
// `--socket PATH` (before the ipvsadm arguments) or env UVS_SOCKET choose the socket.
// -h/--help/-v/--version are answered locally, so they work without a daemon.

import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { DEFAULT_SOCKET_PATH, type IpvsadmReply } from '../control/protocol.js';
import { usageText, VERSION_LINE } from '../control/ipvsadm-args.js';
import { quitWhenReaderLeaves } from './closed-pipe.js';

export interface UvsadmIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => Promise<string>;
  env: Record<string, string | undefined>;
}

/** Splits `--socket PATH` / `--socket=PATH` off the front of argv. */
export function takeSocketOption(argv: string[], env: Record<string, string | undefined>): { socketPath: string; args: string[] } {
  let socketPath = env.UVS_SOCKET || DEFAULT_SOCKET_PATH;
  const args = [...argv];
  for (;;) {
    if (args[0] === '--socket' && args.length >= 2) {
      socketPath = args[1]!;
      args.splice(0, 2);
    } else if (args[0]?.startsWith('--socket=')) {
      socketPath = args[0].slice('--socket='.length);
      args.splice(0, 1);
    } else break;
  }
  return { socketPath, args };
}

/** True when ipvsadm would take these words as -R (the first option decides the command). */
export function isRestore(args: readonly string[]): boolean {
  for (const w of args) {
    if (w === '--') return false;
    if (!w.startsWith('-') || w === '-') continue;
    return w === '--restore' || (!w.startsWith('--') && w[1] === 'R');
  }
  return false;
}

/** One request/reply over the control socket. */
export function request<Reply = IpvsadmReply>(socketPath: string, body: unknown, timeoutMs = 60_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply from ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(body) + '\n'));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        const obj = JSON.parse(buf.slice(0, nl)) as Reply & { error?: string };
        if (obj.error) reject(new Error(`daemon: ${obj.error}`));
        else resolve(obj);
      } catch {
        reject(new Error('malformed reply from the daemon'));
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (!buf.includes('\n')) reject(new Error('the daemon closed the connection without replying'));
    });
  });
}

export async function main(argv: string[], io: UvsadmIo): Promise<number> {
  const { socketPath, args } = takeSocketOption(argv, io.env);
  const first = args.find((w) => w.startsWith('-'));
  if (first === '-h' || first === '--help' || (first && /^-h/.test(first) && !first.startsWith('--'))) {
    io.stdout(usageText('ipvsadm'));
    return 0;
  }
  if (first === '-v' || first === '--version' || (first && /^-v/.test(first) && !first.startsWith('--'))) {
    io.stdout(VERSION_LINE + '\n');
    return 0;
  }
  const stdin = isRestore(args) ? await io.readStdin() : '';
  try {
    const r = await request(socketPath, { op: 'ipvsadm', argv: args, stdin });
    io.stdout(r.stdout);
    io.stderr(r.stderr);
    return r.code;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    let why = code ? `${code}` : e instanceof Error ? e.message : String(e);
    if (code === 'EACCES' || code === 'EPERM') why += ': the socket is mode 0600, run as the user running `uvs run`';
    // As ipvsadm when the ip_vs module is absent (fail(2, ...) in main()).
    io.stderr(
      `Can't initialize ipvs: no uvs daemon answers on ${socketPath} (${why})\n` +
        'Are you sure that `uvs run` is running (socket: --socket PATH or UVS_SOCKET)?\n',
    );
    return 2;
  }
}

function readAllStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => (s += d));
    process.stdin.on('end', () => resolve(s));
    process.stdin.on('error', reject);
  });
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (invokedDirectly) {
  quitWhenReaderLeaves();
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readStdin: readAllStdin,
    env: process.env,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`uvsadm: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
