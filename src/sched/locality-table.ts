// The per-service table of lblc and lblcr (ip_vs_lblc.c / ip_vs_lblcr.c): packet destination
// address → cached dest (lblc) or dest set (lblcr), with its last-use time. 1024 hash buckets
// (TAB_BITS 10, key hash_32(addr, 10)), new entries at the bucket head. Garbage collection is
// the kernel's 60-second timer: every 30th tick a full sweep drops entries unused for the
// expiration time (sysctl lblc_expiration / lblcr_expiration, default 24 h); otherwise, when the
// table holds more than 16 * 1024 entries, a partial sweep from the rover drops entries unused for
// 6 minutes until (entries - 16384) * 4/3 (at most 8192) are gone. Ticks are run lazily, in order,
// from schedule() when svc.clock has passed them, each with the tick's own time.
// Storage is struct-of-arrays with free lists, grown by doubling between calls that need it.
// DIFF: the kernel's table is unbounded (kmalloc may fail, then nothing is cached); here it holds
// at most ENTRY_CAP entries and MEMBER_CAP set members, and when full nothing new is cached —
// the kernel's allocation-failure path.

import type { Dest } from '../engine/dest.js';
import { hash32 } from './hash.js';

export const LBLC_TAB_BITS = 10;
export const LBLC_TAB_SIZE = 1 << LBLC_TAB_BITS;
const TAB_MASK = LBLC_TAB_SIZE - 1;
/** CHECK_EXPIRE_INTERVAL: the GC timer period. */
export const CHECK_EXPIRE_INTERVAL_MS = 60_000;
/** ENTRY_TIMEOUT: idle time after which the partial sweep may drop an entry. */
export const ENTRY_TIMEOUT_MS = 6 * 60_000;
/** DEFAULT_EXPIRATION of the lblc_expiration / lblcr_expiration sysctls. */
export const DEFAULT_EXPIRATION_MS = 24 * 60 * 60_000;
/** COUNT_FOR_FULL_EXPIRATION: every 30th tick is a full sweep. */
export const COUNT_FOR_FULL_EXPIRATION = 30;
/** max_size = TAB_SIZE * 16: above it the partial sweep runs. */
export const LBLC_MAX_SIZE = LBLC_TAB_SIZE * 16;
/** Hard bounds of this implementation (see DIFF above). */
export const ENTRY_CAP = LBLC_MAX_SIZE * 4;
export const MEMBER_CAP = ENTRY_CAP * 2;
/** Ticks run one by one at most this many per catch-up; older whole 30-tick cycles are skipped. */
const MAX_CATCHUP_TICKS = 2000;

export class LocalityTable {
  readonly bucket = new Int32Array(LBLC_TAB_SIZE).fill(-1);
  next: Int32Array;
  addr: Uint32Array;
  lastuse: Float64Array;
  /** lblc: the cached dest of each entry. */
  dest: (Dest | null)[];
  /** lblcr: head of the member chain (newest first), set size and last modification time. */
  setHead: Int32Array;
  setSize: Int32Array;
  setLastmod: Float64Array;
  mNext: Int32Array;
  mDest: (Dest | null)[];
  freeEntry = -1;
  freeMember = -1;
  /** Entries in use. */
  used = 0;
  /** The kernel's atomic `entries` counter (lblc's replace path increments it without a decrement). */
  entries = 0;
  maxSize = LBLC_MAX_SIZE;
  rover = 0;
  counter = 1;
  nextTickMs: number;
  expirationMs = DEFAULT_EXPIRATION_MS;

  constructor(nowMs: number, initialCap = 64) {
    this.next = new Int32Array(0);
    this.addr = new Uint32Array(0);
    this.lastuse = new Float64Array(0);
    this.dest = [];
    this.setHead = new Int32Array(0);
    this.setSize = new Int32Array(0);
    this.setLastmod = new Float64Array(0);
    this.mNext = new Int32Array(0);
    this.mDest = [];
    this.growEntries(initialCap);
    this.growMembers(initialCap);
    this.nextTickMs = nowMs + CHECK_EXPIRE_INTERVAL_MS;
  }

  private growEntries(cap: number): void {
    const old = this.next.length;
    const grow = <T extends Int32Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.addr = grow(this.addr, (n) => new Uint32Array(n));
    this.lastuse = grow(this.lastuse, (n) => new Float64Array(n));
    this.setHead = grow(this.setHead, (n) => new Int32Array(n));
    this.setSize = grow(this.setSize, (n) => new Int32Array(n));
    this.setLastmod = grow(this.setLastmod, (n) => new Float64Array(n));
    for (let i = old; i < cap; i++) this.dest.push(null);
    for (let i = cap - 1; i >= old; i--) {
      this.next[i] = this.freeEntry;
      this.freeEntry = i;
    }
  }

  private growMembers(cap: number): void {
    const old = this.mNext.length;
    const b = new Int32Array(cap);
    b.set(this.mNext);
    this.mNext = b;
    for (let i = old; i < cap; i++) this.mDest.push(null);
    for (let i = cap - 1; i >= old; i--) {
      this.mNext[i] = this.freeMember;
      this.freeMember = i;
    }
  }

  /** ip_vs_lblc_hashkey(): hash_32(addr, 10). */
  static key(addr: number): number {
    return hash32(addr, LBLC_TAB_BITS);
  }

  /** The entry for addr, or -1 (ip_vs_lblc_get()). */
  get(addr: number): number {
    for (let e = this.bucket[LocalityTable.key(addr)]; e >= 0; e = this.next[e]) {
      if (this.addr[e] === addr) return e;
    }
    return -1;
  }

  /** A new entry at its bucket head (lastuse = now, empty set), or -1 when the table is full. */
  insert(addr: number, nowMs: number): number {
    if (this.freeEntry < 0) {
      const cap = this.next.length;
      if (cap >= ENTRY_CAP) return -1;
      this.growEntries(Math.min(cap * 2, ENTRY_CAP));
    }
    const e = this.freeEntry;
    this.freeEntry = this.next[e];
    const b = LocalityTable.key(addr);
    this.next[e] = this.bucket[b];
    this.bucket[b] = e;
    this.addr[e] = addr >>> 0;
    this.lastuse[e] = nowMs;
    this.dest[e] = null;
    this.setHead[e] = -1;
    this.setSize[e] = 0;
    this.setLastmod[e] = nowMs;
    this.used++;
    this.entries++;
    return e;
  }

  /** Unlink and free entry e (and its set members). Does not touch `entries`. */
  remove(e: number): void {
    const b = LocalityTable.key(this.addr[e]);
    let prev = -1;
    for (let x = this.bucket[b]; x >= 0; prev = x, x = this.next[x]) {
      if (x !== e) continue;
      if (prev < 0) this.bucket[b] = this.next[e];
      else this.next[prev] = this.next[e];
      break;
    }
    this.freeSet(e);
    this.dest[e] = null;
    this.next[e] = this.freeEntry;
    this.freeEntry = e;
    this.used--;
  }

  private freeSet(e: number): void {
    let m = this.setHead[e];
    while (m >= 0) {
      const nx = this.mNext[m];
      this.mDest[m] = null;
      this.mNext[m] = this.freeMember;
      this.freeMember = m;
      m = nx;
    }
    this.setHead[e] = -1;
    this.setSize[e] = 0;
  }

  /** ip_vs_dest_set_insert(): add d at the set head unless present (check); lastmod = now. */
  setInsert(e: number, d: Dest, check: boolean, nowMs: number): void {
    if (check) {
      for (let m = this.setHead[e]; m >= 0; m = this.mNext[m]) if (this.mDest[m] === d) return;
    }
    if (this.freeMember < 0) {
      const cap = this.mNext.length;
      if (cap >= MEMBER_CAP) return; // kmalloc failure path: nothing added
      this.growMembers(Math.min(cap * 2, MEMBER_CAP));
    }
    const m = this.freeMember;
    this.freeMember = this.mNext[m];
    this.mDest[m] = d;
    this.mNext[m] = this.setHead[e];
    this.setHead[e] = m;
    this.setSize[e]++;
    this.setLastmod[e] = nowMs;
  }

  /** ip_vs_dest_set_erase(): remove d from the set; lastmod = now. */
  setErase(e: number, d: Dest, nowMs: number): void {
    let prev = -1;
    for (let m = this.setHead[e]; m >= 0; prev = m, m = this.mNext[m]) {
      if (this.mDest[m] !== d) continue;
      this.setSize[e]--;
      this.setLastmod[e] = nowMs;
      if (prev < 0) this.setHead[e] = this.mNext[m];
      else this.mNext[prev] = this.mNext[m];
      this.mDest[m] = null;
      this.mNext[m] = this.freeMember;
      this.freeMember = m;
      return;
    }
  }

  /** Run every GC tick due at or before nowMs, in order (the kernel's periodic timer). */
  runTimers(nowMs: number): void {
    if (nowMs < this.nextTickMs) return;
    let due = Math.floor((nowMs - this.nextTickMs) / CHECK_EXPIRE_INTERVAL_MS) + 1;
    if (due > MAX_CATCHUP_TICKS) {
      // Nothing is used between these ticks, so expiry is monotonic: skipping whole 30-tick
      // cycles (counter phase unchanged) leaves the same survivors as running them.
      const skip = Math.floor((due - MAX_CATCHUP_TICKS) / COUNT_FOR_FULL_EXPIRATION) * COUNT_FOR_FULL_EXPIRATION;
      this.nextTickMs += skip * CHECK_EXPIRE_INTERVAL_MS;
      due -= skip;
    }
    for (let i = 0; i < due; i++) {
      this.checkExpire(this.nextTickMs);
      this.nextTickMs += CHECK_EXPIRE_INTERVAL_MS;
    }
  }

  // as ip_vs_lblc_check_expire()
  checkExpire(nowMs: number): void {
    if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      this.fullCheck(nowMs);
      this.counter = 1;
      return;
    }
    if (this.entries <= this.maxSize) {
      this.counter++;
      return;
    }
    let goal = Math.trunc(((this.entries - this.maxSize) * 4) / 3);
    if (goal > this.maxSize / 2) goal = Math.trunc(this.maxSize / 2);
    let j = this.rover;
    for (let i = 0; i < LBLC_TAB_SIZE; i++) {
      j = (j + 1) & TAB_MASK;
      let e = this.bucket[j];
      while (e >= 0) {
        const nx = this.next[e];
        if (!(nowMs < this.lastuse[e] + ENTRY_TIMEOUT_MS)) {
          this.remove(e);
          this.entries--;
          goal--;
        }
        e = nx;
      }
      if (goal <= 0) break;
    }
    this.rover = j;
  }

  // as ip_vs_lblc_full_check()
  fullCheck(nowMs: number): void {
    let j = this.rover;
    for (let i = 0; i < LBLC_TAB_SIZE; i++) {
      j = (j + 1) & TAB_MASK;
      let e = this.bucket[j];
      while (e >= 0) {
        const nx = this.next[e];
        if (!(nowMs < this.lastuse[e] + this.expirationMs)) {
          this.remove(e);
          this.entries--;
        }
        e = nx;
      }
    }
    this.rover = j;
  }

  /** ip_vs_lblc_flush(): drop everything (doneService). */
  flush(): void {
    for (let b = 0; b < LBLC_TAB_SIZE; b++) {
      while (this.bucket[b] >= 0) {
        this.remove(this.bucket[b]);
        this.entries--;
      }
    }
  }
}
