// The one place where a service's dest list and scheduler binding change, in the kernel's order
// (ip_vs_ctl.c): an added dest is linked at the HEAD of the list (newest first) and then the
// scheduler's addDest hook runs; an edited dest keeps its place and updDest runs; a deleted dest
// loses DEST_F_AVAILABLE, is unlinked and then delDest runs. Add and edit share
// __ip_vs_update_dest(): lastWeight follows every non-zero weight (and any weight on add), the
// dest becomes AVAILABLE, and OVERLOAD is cleared when uThreshold drops to 0 or rises.
// Binding a scheduler calls initService; unbinding calls doneService. The engine's config applier,
// the tests and the benchmarks all go through these functions.

import { DEST_F_AVAILABLE } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';
import { Service } from '../engine/service.js';
import type { Clock } from '../engine/clock.js';
import { overloadOnThresholds } from './overload.js';
import type { Scheduler } from './scheduler.js';

/** What ipvsadm -a/-e sets on a dest (struct ip_vs_dest_user_kern, IPv4 part). */
export interface DestParams {
  weight: number;
  /** CONN_F_MASQ | CONN_F_LOCALNODE | CONN_F_TUNNEL | CONN_F_DROUTE. */
  fwd: number;
  uThreshold: number;
  lThreshold: number;
}

/** Values a fresh Dest already carries, so a test can add one without restating them. */
export function paramsOf(d: Dest): DestParams {
  return { weight: d.weight, fwd: d.fwd, uThreshold: d.uThreshold, lThreshold: d.lThreshold };
}

// as __ip_vs_update_dest(), the part common to add and edit.
function updateDestFields(svc: Service, d: Dest, p: DestParams, add: boolean): void {
  if (add || p.weight !== 0) d.lastWeight = p.weight;
  d.weight = p.weight;
  d.fwd = p.fwd;
  d.svc = svc;
  d.flags |= DEST_F_AVAILABLE;
  overloadOnThresholds(d, p.uThreshold, p.lThreshold);
}

/**
 * ipvsadm -a: link d (new, or reused from the trash with its counters) at the head of the list
 * and run the scheduler's addDest hook. The caller has checked that (addr, port) is not present.
 */
export function addDest(svc: Service, d: Dest, p: DestParams = paramsOf(d)): void {
  updateDestFields(svc, d, p, true);
  svc.dests.unshift(d);
  svc.scheduler.addDest(svc, svc.schedState, d);
}

/** ipvsadm -e: change d in place and run the scheduler's updDest hook. */
export function editDest(svc: Service, d: Dest, p: DestParams): void {
  updateDestFields(svc, d, p, false);
  svc.scheduler.updDest(svc, svc.schedState, d);
}

/**
 * ipvsadm -d, as __ip_vs_unlink_dest(): clear AVAILABLE, unlink, run delDest. d keeps its svc and
 * counters (the kernel moves it to the trash; existing conns still reach it).
 * Returns false when d is not in the list.
 */
export function delDest(svc: Service, d: Dest): boolean {
  const i = svc.dests.indexOf(d);
  if (i < 0) return false;
  d.flags &= ~DEST_F_AVAILABLE;
  svc.dests.splice(i, 1);
  svc.scheduler.delDest(svc, svc.schedState, d);
  return true;
}

/** Find a dest of the service by address and port (u32, number), or null. */
export function findDest(svc: Service, addr: number, port: number): Dest | null {
  addr >>>= 0;
  for (const d of svc.dests) if (d.addr === addr && d.port === port) return d;
  return null;
}

/**
 * Bind a scheduler, as ip_vs_bind_scheduler(): initService on the current dest list.
 * Returns an error text (nothing changed) when the scheduler refuses the service (mh with more
 * dests than table slots: the kernel's EINVAL), else null.
 */
export function bindScheduler(svc: Service, sched: Scheduler<unknown>): string | null {
  const refusal = sched.checkService?.(svc) ?? null;
  if (refusal !== null) return refusal;
  svc.scheduler = sched;
  svc.schedState = sched.initService(svc);
  return null;
}

/**
 * ipvsadm -E -s NAME, as ip_vs_edit_service(): a different scheduler is unbound (doneService) and
 * the new one bound (initService, state reset); the same scheduler keeps its state.
 */
export function changeScheduler(svc: Service, sched: Scheduler<unknown>): string | null {
  if (sched === svc.scheduler) return null;
  const refusal = sched.checkService?.(svc) ?? null;
  if (refusal !== null) return refusal;
  svc.scheduler.doneService(svc, svc.schedState);
  svc.scheduler = sched;
  svc.schedState = sched.initService(svc);
  return null;
}

/**
 * ipvsadm -D, as __ip_vs_del_service(): doneService first, then every dest is unlinked WITHOUT
 * the delDest hook (AVAILABLE cleared). Returns the unlinked dests for the caller's trash.
 */
export function releaseService(svc: Service): Dest[] {
  svc.scheduler.doneService(svc, svc.schedState);
  svc.schedState = null;
  const gone = svc.dests;
  svc.dests = [];
  for (const d of gone) d.flags &= ~DEST_F_AVAILABLE;
  return gone;
}

/**
 * ipvsadm -A: a new service bound to sched (initService on the empty list). Dests then come one by
 * one through addDest(), so the scheduler state evolves through its hooks exactly as in the kernel.
 */
export function createService(
  id: number, protocol: number, addr: number, port: number, fwmark: number,
  sched: Scheduler<unknown>, randomU32: () => number, clock: Clock, flags = 0,
): Service {
  const svc = new Service(id, protocol, addr, port, fwmark, sched, randomU32, clock);
  svc.flags = flags;
  svc.schedState = sched.initService(svc);
  return svc;
}
