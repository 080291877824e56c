// The daemon side of the control socket (protocol.ts): one JSON object per line in, one reply per
// line out. 'ipvsadm' runs a command against the ControlModel, 'status' answers from the
// daemon's status callback; other ops go to handlers the daemon registers (e.g. 'trace').
// Bad input never crashes the daemon: a malformed line gets {"error": "..."} and the
// connection stays usable; a line longer than MAX_LINE_BYTES closes the connection.

import type { Socket } from 'node:net';
import type { StatsSource } from '../model/snapshot.js';
import type { ControlModel } from './model.js';
import type { ControlRequest } from './protocol.js';

/** Large enough for any -R input a person would pipe in. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface ControlServerOptions {
  /** The reply to {"op":"status"}. */
  status?: () => unknown;
  /** Extra ops ('trace', ...): the handler owns the socket from then on. */
  handlers?: Record<string, (req: ControlRequest & Record<string, unknown>, socket: Socket) => void>;
}

function defaultStatus(): unknown {
  return { pid: process.pid, uptimeS: Math.floor(process.uptime()) };
}

/** Serves one accepted connection until the peer closes it. */
export function handleControlConnection(socket: Socket, model: ControlModel, stats: StatsSource, opts: ControlServerOptions = {}): void {
  let buf = '';
  let handedOff = false;
  socket.setEncoding('utf8');
  const reply = (obj: unknown): void => {
    if (!socket.destroyed) socket.write(JSON.stringify(obj) + '\n');
  };
  const onLine = (line: string): void => {
    if (!line.trim()) return;
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      reply({ error: 'malformed request: not JSON' });
      return;
    }
    if (typeof req !== 'object' || req === null || typeof (req as { op?: unknown }).op !== 'string') {
      reply({ error: 'malformed request: no op' });
      return;
    }
    const r = req as ControlRequest & Record<string, unknown>;
    if (r.op === 'ipvsadm') {
      const argv = r.argv;
      const stdin = r.stdin ?? '';
      if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string') || typeof stdin !== 'string') {
        reply({ error: 'malformed request: argv must be an array of strings, stdin a string' });
        return;
      }
      let result;
      try {
        result = model.execute(argv, stdin, stats);
      } catch (e) {
        result = { stdout: '', stderr: `internal error: ${e instanceof Error ? e.message : String(e)}\n`, code: 1 };
      }
      reply(result);
      return;
    }
    if (r.op === 'status') {
      reply((opts.status ?? defaultStatus)());
      return;
    }
    const h = opts.handlers?.[r.op];
    if (h) {
      handedOff = true;
      h(r, socket);
      return;
    }
    reply({ error: `unknown op '${String(r.op)}'` });
  };
  socket.on('data', (chunk: string) => {
    if (handedOff) return;
    buf += chunk;
    if (buf.length > MAX_LINE_BYTES) {
      reply({ error: 'request too large' });
      socket.end();
      buf = '';
      return;
    }
    let nl: number;
    while (!handedOff && (nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
  socket.on('error', () => {
    /* the peer went away; nothing to clean up */
  });
}
