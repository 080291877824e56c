// The scheduler lookup by `ipvsadm -s` name. Every scheduler file exports one Scheduler object;
// this table is the only place that lists them (no switch on names anywhere).

import type { Scheduler } from './scheduler.js';
import { dh } from './dh.js';
import { fo } from './fo.js';
import { lblc } from './lblc.js';
import { lblcr } from './lblcr.js';
import { lc } from './lc.js';
import { mh } from './mh.js';
import { none } from './none.js';
import { nq } from './nq.js';
import { ovf } from './ovf.js';
import { rr } from './rr.js';
import { sed } from './sed.js';
import { sh } from './sh.js';
import { twos } from './twos.js';
import { wlc } from './wlc.js';
import { wrr } from './wrr.js';

/** Kernel-registered schedulers, in the order ipvsadm's man page lists them. */
const SCHEDULERS: readonly Scheduler<unknown>[] = [rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos];

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
