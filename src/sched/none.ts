// none — no scheduler. The kernel accepts `-s none` (ip_vs_ctl.c binds no scheduler for that name):
// the service exists, existing connections keep working, but a new connection never gets a dest.

import type { Dest } from '../engine/dest.js';
import type { Scheduler } from './scheduler.js';

export const none: Scheduler<null> = {
  name: 'none',
  initService: () => null,
  doneService(): void {},
  addDest(): void {},
  delDest(): void {},
  updDest(): void {},
  schedule(): Dest | null {
    return null;
  },
};
