// Follows the director namespace's routing changes while `uvs run` runs, as the kernel's IPVS does
// by using the live FIB. /proc/net/route is the main IPv4 table of this namespace (address changes
// show there too, as their subnet routes); reading it once a second costs a few microseconds and,
// unlike an `ip monitor` child, leaves nothing behind if uvs dies. When its text changes, the
// daemon re-reads the routes in full (routes.ts) and sends them to the datapath if they differ.

import { readFileSync } from 'node:fs';

export const ROUTE_POLL_MS = 1000;

export class RouteWatch {
  private timer: NodeJS.Timeout | null = null;
  private last: string;

  constructor(private readonly changed: () => void, private readonly pollMs = ROUTE_POLL_MS, private readonly file = '/proc/net/route') {
    this.last = this.read();
  }

  start(): void {
    this.timer = setInterval(() => {
      const now = this.read();
      if (now === this.last) return;
      this.last = now;
      this.changed();
    }, this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private read(): string {
    try {
      return readFileSync(this.file, 'utf8');
    } catch {
      return '';
    }
  }
}
