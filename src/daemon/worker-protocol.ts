// Messages between the `uvs run` main thread (control) and its datapath worker. The worker reads
// control messages only between batches, and only after the main thread raised the `pending` flag
// in shared memory (one Atomics.load per batch), so a busy datapath never waits for control.

import type { VirtualServerTable } from '../model/config.js';
import type { ConnSnapshot, DestCounters, StatsCounters } from '../model/snapshot.js';
import type { IoKind } from '../io/backend.js';
import type { Route } from '../engine/next-hop.js';

export interface WorkerInit {
  ifaces: string[];
  io: IoKind;
  /** afpacket kernel interface. */
  mode: 'mmsg' | 'ring' | 'ringrx';
  /** afpacket ring size in frames (OpenOptions.ringFrames). */
  ringFrames: number;
  maxConns: number;
  /** The director's own IPv4 address (u32; 0 when none): ARP request source, TUN outer source. */
  addr: number;
  /** Per port: the interface's own IPv4 address (ARP request source), 0 when none. */
  portAddrs: number[];
  table: VirtualServerTable;
  /** Int32Array over it: [0] pending control messages, [1] stop, [2] tracing. */
  flags: SharedArrayBuffer;
  /** Receive batch size. */
  batch: number;
  /** Static neighbours "ip=mac" (tests, hosts that do not answer ARP). */
  neigh: Array<{ ip: number; mac: string }>;
  /** The director's IPv4 routes, ports by index in ifaces (src/daemon/routes.ts); absent: every
   * dest is its own next hop (resolved by ARP on its port). */
  routes?: Route[] | null;
}

export const FLAG_PENDING = 0;
export const FLAG_STOP = 1;
export const FLAG_TRACE = 2;

export type ToWorker =
  | { type: 'table'; table: VirtualServerTable; seq: number }
  | { type: 'snapshot'; seq: number; conns: boolean }
  /** Routes read again (a change in the namespace, or SIGHUP): each dest's next hop is looked up again. No answer (seq only
   * keeps every message the same shape). */
  | { type: 'routes'; seq: number; routes: Route[] | null };

export interface WorkerReady {
  type: 'ready';
  ports: Array<{ ifname: string; mac: string; mtu: number; index: number }>;
  /** The engine's shared counters. */
  stats: { stats: SharedArrayBuffer; drops: SharedArrayBuffer; verdicts: SharedArrayBuffer };
  maxServices: number;
  maxDests: number;
}

export interface Snapshot {
  services: Record<number, StatsCounters>;
  dests: Record<number, DestCounters>;
  conns: ConnSnapshot[];
  counters: Record<string, number>;
  neighbours: Array<{ ip: string; mac: string; state: string; expiresInMs: number }>;
}

export interface TraceRecord {
  i: number;
  ts: number;
  port: number;
  verdict: string;
  service: string | null;
  dest: string | null;
  fwd: string | null;
  conn: string;
  template: string | null;
  reason?: string;
  proto: string;
  src: string;
  dst: string;
}

export type FromWorker =
  | WorkerReady
  | { type: 'error'; message: string; code?: string }
  | { type: 'applied'; seq: number; errors: string[] }
  | { type: 'snapshot'; seq: number; snapshot: Snapshot }
  | { type: 'trace'; records: TraceRecord[]; skipped: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }
  | { type: 'stopped'; counters: Record<string, number> };
