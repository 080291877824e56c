// Conn timers as a hashed timer wheel (never one setTimeout per conn).
//
// The wheel has SLOTS lists of conn slots, each covering GRANULARITY_MS of the engine clock; a
// conn sits in slot floor(expires / G) mod SLOTS, doubly linked through two Int32Arrays. The hot
// path only writes `expires` when it restarts a conn's timer (lazy re-arming): when the cursor
// passes a slot, entries whose expiry is still in the future are moved to their right slot,
// the others are handed to the owner (ip_vs_conn_expire()), which frees or re-arms them. A jump
// of the clock is walked slot by slot in time order (an empty slot costs one read), so timers
// fire in the order they were due, which matters for templates (a template due while it still
// controls a conn is re-armed). The work of a tick is bounded by the slots walked and the
// entries in them. `exact` also walks the slot
// holding `now` on every tick, so replays and tests see every timer at the exact millisecond;
// the live loop leaves it off (expiry then runs up to G late; lookups still treat an entry whose
// time has come as expired, so packet decisions are exact either way).

export const WHEEL_SLOTS = 4096;
export const WHEEL_GRANULARITY_MS = 100;
/** Longest clock jump (in slots, ~11.5 days) walked slot by slot in time order. */
export const MAX_WALK = 10_000_000;

export interface TimerOwner {
  /** Called once for a conn whose expiry time has passed; must free it or set a later expiry and insert it again. */
  onTimer(i: number, now: number): void;
}

export class TimerWheel {
  readonly heads: Int32Array;
  readonly nextT: Int32Array;
  /** Previous entry, or -2 - slot for the head of a slot list, or -1 when not in the wheel. */
  readonly prevT: Int32Array;
  readonly expires: Float64Array;
  /** Slot time (floor(ms / G)) of the first slot not yet walked. */
  cursor: number;
  exact: boolean;

  constructor(expires: Float64Array, nowMs: number, exact = false) {
    this.expires = expires;
    this.heads = new Int32Array(WHEEL_SLOTS).fill(-1);
    this.nextT = new Int32Array(expires.length).fill(-1);
    this.prevT = new Int32Array(expires.length).fill(-1);
    this.cursor = Math.floor(nowMs / WHEEL_GRANULARITY_MS);
    this.exact = exact;
  }

  byteSize(): number {
    return this.heads.byteLength + this.nextT.byteLength + this.prevT.byteLength;
  }

  private slotFor(expires: number): number {
    let t = Math.floor(expires / WHEEL_GRANULARITY_MS);
    if (t < this.cursor) t = this.cursor;
    return t & (WHEEL_SLOTS - 1);
  }

  /** Put a conn in the wheel at its current `expires` (must not be in the wheel). */
  insert(i: number): void {
    const s = this.slotFor(this.expires[i]!);
    const h = this.heads[s]!;
    this.nextT[i] = h;
    this.prevT[i] = -2 - s;
    if (h >= 0) this.prevT[h] = i;
    this.heads[s] = i;
  }

  /** Take a conn out of the wheel (no-op when it is not in). */
  remove(i: number): void {
    const p = this.prevT[i]!;
    if (p === -1) return;
    const n = this.nextT[i]!;
    if (p <= -2) this.heads[-2 - p] = n;
    else this.nextT[p] = n;
    if (n >= 0) this.prevT[n] = p;
    this.nextT[i] = -1;
    this.prevT[i] = -1;
  }

  inWheel(i: number): boolean {
    return this.prevT[i] !== -1;
  }

  /** Walk the slots whose time has passed; returns how many timers fired. */
  tick(now: number, owner: TimerOwner): number {
    const nowSlot = Math.floor(now / WHEEL_GRANULARITY_MS);
    let fired = 0;
    if (nowSlot > this.cursor) {
      // Walk in time order, slot by slot, so timers fire in the order they were due even across a
      // long jump of the clock (empty slots cost one read). Beyond MAX_WALK slots, one turn of the
      // wheel is walked instead (every entry seen once; the order within that turn is lost).
      const steps = nowSlot - this.cursor;
      if (steps <= MAX_WALK) {
        for (let st = this.cursor; st < nowSlot; st++) {
          if (this.heads[st & (WHEEL_SLOTS - 1)]! >= 0) fired += this.walk(st, now, owner);
        }
      } else {
        for (let k = 0; k < WHEEL_SLOTS; k++) fired += this.walk(nowSlot - WHEEL_SLOTS + k, now, owner);
      }
      this.cursor = nowSlot;
    }
    if (this.exact) fired += this.walk(nowSlot, now, owner);
    return fired;
  }

  /** Walk the slot of absolute slot time st: fire what is due by then, re-file what is due later. */
  private walk(st: number, now: number, owner: TimerOwner): number {
    const slot = st & (WHEEL_SLOTS - 1);
    let fired = 0;
    let i = this.heads[slot]!;
    while (i >= 0) {
      const n = this.nextT[i]!;
      const e = this.expires[i]!;
      const due = Math.floor(e / WHEEL_GRANULARITY_MS);
      if (e <= now && due <= st) {
        this.remove(i);
        owner.onTimer(i, now);
        fired++;
      } else if ((due & (WHEEL_SLOTS - 1)) !== slot) {
        // Re-armed lazily (or filed early): move it to the slot of its real expiry, which this
        // tick walks later if that time has also passed.
        this.remove(i);
        this.insertAt(i, due);
      }
      i = n;
    }
    return fired;
  }

  private insertAt(i: number, slotTime: number): void {
    const s = slotTime & (WHEEL_SLOTS - 1);
    const h = this.heads[s]!;
    this.nextT[i] = h;
    this.prevT[i] = -2 - s;
    if (h >= 0) this.prevT[h] = i;
    this.heads[s] = i;
  }
}
