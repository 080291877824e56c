// The scheduler lookup by `ipvsadm -s` name. Every scheduler file exports one Scheduler object;
// this table is the only place that lists them (no switch on names anywhere).

import type { Scheduler } from './scheduler.js';
import { rr } from './rr.js';
import { wrr } from './wrr.js';
import { wlc } from './wlc.js';
import { none } from './none.js';

/** Kernel-registered schedulers, in the order ipvsadm's man page lists them. */
const SCHEDULERS: readonly Scheduler<unknown>[] = [rr, wrr, wlc];

const BY_NAME = new Map<string, Scheduler<unknown>>();
for (const s of SCHEDULERS) BY_NAME.set(s.name, s);
BY_NAME.set(none.name, none);

/** Every name `-s` accepts, `none` last (accepted by the kernel: a service that never schedules). */
export const SCHEDULER_NAMES: readonly string[] = [...SCHEDULERS.map((s) => s.name), none.name];

/** The scheduling algorithms proper (SCHEDULER_NAMES without `none`), for benchmarks and listings. */
export const ALGORITHM_NAMES: readonly string[] = SCHEDULERS.map((s) => s.name);

/** The scheduler for an `ipvsadm -s` name, or null when unknown. Names are case-sensitive, as in the kernel. */
export function getScheduler(name: string): Scheduler<unknown> | null {
  return BY_NAME.get(name) ?? null;
}
