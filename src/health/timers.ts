// The manager's notion of time: real timers in `uvs run`, a fake one in tests (advance() runs due
// callbacks in time order), so retry and delay_before_retry timing is tested without a wall clock.

export interface HealthTimers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/**
 * Checks due within the same window run in one event-loop wake-up: due times are rounded to the
 * nearest edge of a window of 1/20 of the delay, at most TIMER_SLACK_MS (1,000 checkers on a 1 s
 * delay_loop wake the loop at most 20 times a second instead of 1,000). keepalived's timers are
 * exact; 5 % of a delay, at most 50 ms, does not matter against delay_loop.
 */
export const TIMER_SLACK_MS = 50;

export const realTimers: HealthTimers = {
  now: () => performance.now(),
  set: (fn, ms) => {
    const now = performance.now();
    const slack = Math.min(TIMER_SLACK_MS, Math.max(1, Math.floor(ms / 20)));
    // Nearest window edge, so the mean period stays exactly the delay.
    const due = Math.round((now + ms) / slack) * slack;
    return setTimeout(fn, Math.max(0, due - now));
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface FakeEntry {
  at: number;
  seq: number;
  fn: () => void;
}

/** Deterministic timers for tests: time moves only in advance(). */
export class FakeTimers implements HealthTimers {
  nowMs = 0;
  private seq = 0;
  private entries: FakeEntry[] = [];

  now(): number {
    return this.nowMs;
  }

  set(fn: () => void, ms: number): unknown {
    const e: FakeEntry = { at: this.nowMs + Math.max(0, ms), seq: this.seq++, fn };
    this.entries.push(e);
    return e;
  }

  clear(handle: unknown): void {
    const i = this.entries.indexOf(handle as FakeEntry);
    if (i >= 0) this.entries.splice(i, 1);
  }

  pending(): number {
    return this.entries.length;
  }

  /**
   * Move time forward by ms, running every timer that falls due in order; after each callback
   * the microtask/macrotask queue is drained (`settle`) so promise chains complete.
   */
  async advance(ms: number, settle: () => Promise<void> = drain): Promise<void> {
    const end = this.nowMs + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      await settle();
      let next: FakeEntry | null = null;
      for (const e of this.entries) if (e.at <= end && (!next || e.at < next.at || (e.at === next.at && e.seq < next.seq))) next = e;
      if (!next) break;
      this.entries.splice(this.entries.indexOf(next), 1);
      this.nowMs = next.at;
      next.fn();
    }
    this.nowMs = end;
    await settle();
  }
}

function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
