// The scheduler plug-in contract, after the kernel's struct ip_vs_scheduler: one file per
// algorithm under src/sched, named exactly as `ipvsadm -s NAME`, registered in registry.ts.
// Hooks run on the control path (between batches); schedule() runs for new connections only.

import type { Dest } from '../engine/dest.js';
import type { Service } from '../engine/service.js';
import type { PacketDesc } from '../packet/packet-desc.js';

export interface Scheduler<S> {
  /** Exactly the ipvsadm -s name. */
  readonly name: string;
  initService(svc: Service): S;
  doneService(svc: Service, state: S): void;
  addDest(svc: Service, state: S, d: Dest): void;
  delDest(svc: Service, state: S, d: Dest): void;
  updDest(svc: Service, state: S, d: Dest): void;
  /**
   * Optional: refuse to bind to this service (the kernel's init_service returning an error, e.g. mh
   * with more dests than table slots). Returns the error text, or null to accept.
   */
  checkService?(svc: Service): string | null;
  /** Pick a dest for a new connection, or null when none is eligible. */
  schedule(svc: Service, state: S, pkt: PacketDesc): Dest | null;
}
