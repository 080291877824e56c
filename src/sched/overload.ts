// The OVERLOAD flag of a dest (upper/lower connection thresholds, ipvsadm -x/-y), as the kernel
// keeps it: set when a new connection (or template) is bound and active + inactive reaches
// uThreshold; re-evaluated only when a bound connection is destroyed, with the lower threshold
// (or 3/4 of the upper one when lThreshold is 0) as hysteresis; and cleared by a dest edit that
// sets uThreshold to 0 or raises it. Schedulers read the flag; they never set it.

import { DEST_F_OVERLOAD } from '../model/constants.js';
import type { Dest } from '../engine/dest.js';

/** activeConns + inactConns, as ip_vs_dest_totalconns() (templates not included). */
export function destTotalConns(d: Dest): number {
  return d.activeConns + d.inactConns;
}

/**
 * Call after a new conn or template was bound to d and its counter incremented, as the end of
 * ip_vs_bind_dest() (templates too: they bump persistConns, which the total does not include, but
 * the check still runs). Note `>=`: with -x 10 the 10th connection sets the flag.
 */
export function overloadAfterBind(d: Dest): void {
  if (d.uThreshold !== 0 && destTotalConns(d) >= d.uThreshold) d.flags |= DEST_F_OVERLOAD;
}

/** Call after a conn or template was unbound from d and its counter decremented, as ip_vs_unbind_dest(). */
export function overloadAfterUnbind(d: Dest): void {
  if (d.lThreshold !== 0) {
    if (destTotalConns(d) < d.lThreshold) d.flags &= ~DEST_F_OVERLOAD;
  } else if (d.uThreshold !== 0) {
    if (destTotalConns(d) * 4 < d.uThreshold * 3) d.flags &= ~DEST_F_OVERLOAD;
  } else {
    d.flags &= ~DEST_F_OVERLOAD;
  }
}

/**
 * Store new thresholds on a dest add/edit, as __ip_vs_update_dest(): OVERLOAD is cleared when
 * the new uThreshold is 0 or larger than the old one.
 */
export function overloadOnThresholds(d: Dest, uThreshold: number, lThreshold: number): void {
  if (uThreshold === 0 || uThreshold > d.uThreshold) d.flags &= ~DEST_F_OVERLOAD;
  d.uThreshold = uThreshold;
  d.lThreshold = lThreshold;
}
