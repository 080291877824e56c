// A virtual service as the datapath sees it: the kernel's struct ip_vs_service.
// Identified by (protocol, vaddr, vport) or by fwmark. Destinations are kept newest-first,
// exactly as the kernel's list_add_rcu() at the head, because that order breaks scheduler ties.

import { IPPROTO_TCP } from '../model/constants.js';
import type { Scheduler } from '../sched/scheduler.js';
import type { Clock } from './clock.js';
import type { Dest } from './dest.js';

export class Service {
  /** Stable id from the control model; indexes counters. */
  readonly id: number;
  /** IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP (fwmark services: TCP, ignored). */
  protocol: number;
  /** Virtual IPv4 address as host-order u32 (0 for fwmark services). */
  addr: number;
  port: number;
  fwmark: number;
  /** SVC_F_* bits. */
  flags: number;
  /** Persistence timeout in milliseconds. */
  timeoutMs: number;
  /** Persistence netmask as u32 (default 0xFFFFFFFF). */
  netmask: number;
  /** Newest first. */
  dests: Dest[];
  scheduler: Scheduler<unknown>;
  schedState: unknown;
  /** Uniform random u32, injected so tests and replays are deterministic (twos uses it). */
  randomU32: () => number;
  /** The engine's clock (lblc/lblcr age their tables by it). */
  clock: Clock;
  /** The engine's index for this service (counters); -1 until the engine adopts it. */
  slot: number;

  constructor(id: number, protocol: number, addr: number, port: number, fwmark: number, scheduler: Scheduler<unknown>, randomU32: () => number, clock: Clock) {
    this.id = id;
    this.protocol = protocol || IPPROTO_TCP;
    this.addr = addr >>> 0;
    this.port = port;
    this.fwmark = fwmark;
    this.flags = 0;
    this.timeoutMs = 0;
    this.netmask = 0xffffffff;
    this.dests = [];
    this.scheduler = scheduler;
    this.schedState = null;
    this.randomU32 = randomU32;
    this.clock = clock;
    this.slot = -1;
  }
}
