// The daemon's log: pino, one JSON line per event on stderr (never per packet), with levels
// (UVS_LOG_LEVEL or --log-level: trace, debug, info, warn, error, fatal; default info).

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.UVS_LOG_LEVEL ?? 'info'): Logger {
  const valid = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  return pino({ name: 'uvs', level: valid.includes(level) ? level : 'info', base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}
