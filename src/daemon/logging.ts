// The daemon's log: pino, one JSON line per event on stderr (never per packet), with levels
// (UVS_LOG_LEVEL or --log-level: trace, debug, info, warn, error, fatal; default info).
//
// Written asynchronously with a bounded backlog: the main thread runs the health checks and the
// control socket, and a synchronous write to a stderr nobody reads (a pipe to a stopped pager or
// a stuck collector) would stop them until the reader came back. Beyond MAX_LOG_BACKLOG bytes of
// unwritten log, lines are dropped and counted (droppedLogLines()); the daemon says how many when
// it stops. Pending lines are written before the process exits (the event loop waits for them).

import { pino, type Logger } from 'pino';

export type { Logger };

export const MAX_LOG_BACKLOG = 4 << 20;

let dropped = 0;

export function createLogger(level = process.env.UVS_LOG_LEVEL ?? 'info'): Logger {
  const valid = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  const dest = pino.destination({ fd: 2, sync: false, maxLength: MAX_LOG_BACKLOG });
  dest.on('drop', () => { dropped++; });
  return pino({ name: 'uvs', level: valid.includes(level) ? level : 'info', base: { pid: process.pid } }, dest);
}

/** Log lines dropped because stderr was not being read fast enough. */
export function droppedLogLines(): number {
  return dropped;
}
