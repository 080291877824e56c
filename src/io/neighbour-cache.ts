// uvs's own neighbour (ARP) cache for `uvs run`: the NeighbourResolver the transmitters ask for a
// next hop's MAC. The director's kernel is kept off the datapath, so uvs resolves addresses itself,
// much as the kernel's neighbour subsystem (net/core/neighbour.c, net/ipv4/arp.c) does:
//
//   - lookup(ip) on the hot path: an open-addressing table keyed by the u32 address (linear
//     probing, no allocation). A REACHABLE entry answers until its TTL ends; then it is STALE: it
//     still answers (as the kernel keeps using a stale entry) while a re-probe is queued; once the
//     stale grace also ends it stops answering. An unknown address becomes INCOMPLETE and is
//     queued for an ARP request; lookup returns -1.
//   - tick(nowMs, send) between batches: sends the queued ARP requests (retransmit every
//     retransMs, at most maxProbes, as arp's mcast_probes/retrans_time); an entry with no answer
//     after its probes becomes FAILED and its held frames are dropped and counted (and reported
//     through an optional callback, so the engine counts them as `neigh_failed`).
//   - learn(ip, mac) from any ARP frame whose sender address is in the table (arp_process() also
//     only updates existing entries unless the frame is addressed to us): the entry becomes
//     REACHABLE for ttlMs and the frames held for it are released through a callback.
//   - hold(ip, frame, port, connTag, destTag): a bounded pool of frames waiting for resolution
//     (the kernel's unres_qlen), each with two numbers the engine gets back on release (the conn
//     and the dest the frame was scheduled to; the engine's FrameHolder); when the pool is full the
//     frame is refused and counted.
//   - static entries (setStatic) never expire and are never replaced by learning.
// Slots are never emptied again, so probing chains stay intact; a FAILED or long-expired slot is
// reused for a new address found on its chain. A full table drops the lookup and counts it.

import type { NeighbourResolver } from '../engine/neighbour.js';
import type { FrameHolder } from '../engine/next-hop.js';

/** Receives a held frame once its address resolved (the MACs still to be written by the caller). */
export type ReleaseHeld = (buf: Uint8Array, off: number, len: number, port: number, connTag: number, destTag: number) => void;
/** Told about each held frame dropped because its address failed to resolve. */
export type DroppedHeld = (connTag: number, destTag: number) => void;

export const NEIGH_EMPTY = 0;
export const NEIGH_INCOMPLETE = 1;
export const NEIGH_REACHABLE = 2;
export const NEIGH_STATIC = 3;
export const NEIGH_FAILED = 4;

export interface NeighbourCacheOptions {
  /** Power of two; the number of addresses the cache can hold. */
  capacity?: number;
  /** How long a learnt entry is REACHABLE (kernel base_reachable_time is 30 s, randomised). */
  ttlMs?: number;
  /** How long a STALE entry is still used while it is re-probed. */
  staleGraceMs?: number;
  retransMs?: number;
  maxProbes?: number;
  /** Frames that can wait for resolution, over all addresses. */
  holdFrames?: number;
  holdFrameSize?: number;
}

export interface NeighbourCounters {
  /** Lookups that found nothing usable. */
  misses: number;
  /** ARP requests sent. */
  probes: number;
  /** Entries learnt or refreshed from ARP. */
  learnt: number;
  /** Resolutions that failed after maxProbes. */
  failed: number;
  /** Frames put on hold. */
  held: number;
  /** Frames released after resolution. */
  released: number;
  /** Frames refused: hold pool full or frame too big. */
  holdDrops: number;
  /** Held frames dropped because their address failed to resolve. */
  holdFailed: number;
  /** Lookups for a new address when the table was full. */
  tableFull: number;
}

export class NeighbourCache implements NeighbourResolver, FrameHolder {
  readonly macs: Uint8Array;
  readonly counters: NeighbourCounters;
  /** The clock the hot path reads (the worker advances nowMs once per batch). */
  nowMs: number;
  private readonly mask: number;
  private readonly keys: Uint32Array;
  private readonly state: Uint8Array;
  private readonly expiresAt: Float64Array;
  private readonly nextProbeAt: Float64Array;
  private readonly probes: Uint8Array;
  private readonly queued: Uint8Array;
  /** Interface the address was learnt on (0 outside, 1 inside). */
  readonly port: Uint8Array;
  private used: number;
  private readonly ttlMs: number;
  private readonly staleGraceMs: number;
  private readonly retransMs: number;
  private readonly maxProbes: number;
  /** Ring of slots waiting for an ARP request. */
  private readonly probeRing: Int32Array;
  private probeHead: number;
  private probeCount: number;
  /** Held frames. */
  private readonly holdBuf: Uint8Array;
  private readonly holdSlotSize: number;
  private readonly holdIp: Uint32Array;
  private readonly holdLen: Uint32Array;
  private readonly holdPort: Uint8Array;
  private readonly holdUsed: Uint8Array;
  private readonly holdConn: Int32Array;
  private readonly holdDest: Int32Array;
  private holdCount: number;

  constructor(opts: NeighbourCacheOptions = {}) {
    const capacity = opts.capacity ?? 4096;
    if (capacity < 4 || (capacity & (capacity - 1)) !== 0) throw new RangeError('neighbour cache: capacity must be a power of two ≥ 4');
    this.mask = capacity - 1;
    this.keys = new Uint32Array(capacity);
    this.state = new Uint8Array(capacity);
    this.expiresAt = new Float64Array(capacity);
    this.nextProbeAt = new Float64Array(capacity);
    this.probes = new Uint8Array(capacity);
    this.queued = new Uint8Array(capacity);
    this.port = new Uint8Array(capacity);
    this.macs = new Uint8Array(capacity * 6);
    this.used = 0;
    this.ttlMs = opts.ttlMs ?? 30_000;
    this.staleGraceMs = opts.staleGraceMs ?? 5_000;
    this.retransMs = opts.retransMs ?? 1_000;
    this.maxProbes = opts.maxProbes ?? 3;
    this.probeRing = new Int32Array(capacity);
    this.probeHead = 0;
    this.probeCount = 0;
    const holdFrames = opts.holdFrames ?? 256;
    this.holdSlotSize = opts.holdFrameSize ?? 2048;
    this.holdBuf = new Uint8Array(holdFrames * this.holdSlotSize);
    this.holdIp = new Uint32Array(holdFrames);
    this.holdLen = new Uint32Array(holdFrames);
    this.holdPort = new Uint8Array(holdFrames);
    this.holdUsed = new Uint8Array(holdFrames);
    this.holdConn = new Int32Array(holdFrames);
    this.holdDest = new Int32Array(holdFrames);
    this.holdCount = 0;
    this.nowMs = 0;
    this.counters = { misses: 0, probes: 0, learnt: 0, failed: 0, held: 0, released: 0, holdDrops: 0, holdFailed: 0, tableFull: 0 };
  }

  /** Multiplicative hash of the u32 address onto the table. */
  private home(ip: number): number {
    return Math.imul(ip, 0x9e3779b1) >>> 0 & this.mask;
  }

  /** Index of ip's slot, or -1. No allocation. */
  find(ip: number): number {
    ip >>>= 0;
    let i = this.home(ip);
    for (let n = 0; n <= this.mask; n++) {
      const s = this.state[i]!;
      if (s === NEIGH_EMPTY) return -1;
      if (this.keys[i] === ip) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** A slot for ip, created INCOMPLETE if new (reusing a dead slot on its chain); -1 when full. */
  private slotFor(ip: number): number {
    let i = this.home(ip);
    let reuse = -1;
    for (let n = 0; n <= this.mask; n++) {
      const s = this.state[i]!;
      if (s === NEIGH_EMPTY) break;
      if (this.keys[i] === ip) return i;
      if (reuse < 0 && this.isDead(i)) reuse = i;
      i = (i + 1) & this.mask;
    }
    if (reuse < 0) {
      if (this.state[i] !== NEIGH_EMPTY || this.used >= this.mask) return -1; // keep one empty slot so probing ends
      reuse = i;
      this.used++;
    }
    this.keys[reuse] = ip;
    this.state[reuse] = NEIGH_INCOMPLETE;
    this.expiresAt[reuse] = 0;
    this.probes[reuse] = 0;
    this.nextProbeAt[reuse] = 0;
    this.queued[reuse] = 0;
    return reuse;
  }

  /** FAILED, or REACHABLE past its stale grace, and not waiting for a probe: can be reused. */
  private isDead(i: number): boolean {
    const s = this.state[i]!;
    if (this.queued[i] !== 0) return false;
    if (s === NEIGH_FAILED) return true;
    return s === NEIGH_REACHABLE && this.nowMs >= this.expiresAt[i]! + this.staleGraceMs;
  }

  private queueProbe(i: number): void {
    if (this.queued[i] !== 0 || this.probeCount === this.probeRing.length) return;
    this.queued[i] = 1;
    this.probeRing[(this.probeHead + this.probeCount) % this.probeRing.length] = i;
    this.probeCount++;
  }

  /**
   * Slot of ip's MAC (6 bytes at macs[slot*6]), or -1 when unresolved; a miss queues an ARP
   * request. Hot path: no allocation, bounded probing. As neigh_event_send() + neigh_resolve_output().
   */
  lookup(ip: number): number {
    const i = this.find(ip);
    if (i >= 0) {
      const s = this.state[i]!;
      if (s === NEIGH_STATIC) return i;
      if (s === NEIGH_REACHABLE) {
        if (this.nowMs < this.expiresAt[i]!) return i;
        if (this.nowMs < this.expiresAt[i]! + this.staleGraceMs) {
          // STALE: keep using it, confirm it in the background.
          if (this.queued[i] === 0) { this.probes[i] = 0; this.nextProbeAt[i] = 0; this.queueProbe(i); }
          return i;
        }
      }
      if (s === NEIGH_INCOMPLETE) { this.counters.misses++; return -1; }
    }
    this.counters.misses++;
    const j = i >= 0 ? i : this.slotFor(ip);
    if (j < 0) { this.counters.tableFull++; return -1; }
    this.state[j] = NEIGH_INCOMPLETE;
    this.probes[j] = 0;
    this.nextProbeAt[j] = 0;
    this.queueProbe(j);
    return -1;
  }

  /** A static entry (ip neigh add ... nud permanent): never expires, never learnt over. */
  setStatic(ip: number, mac: Uint8Array, macOff = 0, port = 0): boolean {
    const i = this.slotFor(ip >>> 0);
    if (i < 0) return false;
    this.macs.set(mac.subarray(macOff, macOff + 6), i * 6);
    this.state[i] = NEIGH_STATIC;
    this.port[i] = port;
    return true;
  }

  /**
   * ARP said ip is at mac (from `port`). Updates entries already in the table (static ones stay)
   * and releases their held frames through `release(buf, off, len, port)`, the MACs still to be
   * written by the caller. Returns the slot, or -1 when the address is not one we care about.
   */
  learn(ip: number, mac: Uint8Array, macOff: number, port: number, release?: ReleaseHeld): number {
    ip >>>= 0;
    const i = this.find(ip);
    if (i < 0) return -1;
    const s = this.state[i]!;
    if (s === NEIGH_STATIC) return i;
    for (let k = 0; k < 6; k++) this.macs[i * 6 + k] = mac[macOff + k]!;
    this.state[i] = NEIGH_REACHABLE;
    this.expiresAt[i] = this.nowMs + this.ttlMs;
    this.port[i] = port;
    this.probes[i] = 0;
    this.counters.learnt++;
    if (s !== NEIGH_REACHABLE && this.holdCount > 0) this.releaseHeld(ip, release);
    return i;
  }

  private releaseHeld(ip: number, release?: ReleaseHeld): void {
    for (let h = 0; h < this.holdUsed.length && this.holdCount > 0; h++) {
      if (this.holdUsed[h] === 0 || this.holdIp[h] !== ip) continue;
      if (release) { release(this.holdBuf, h * this.holdSlotSize, this.holdLen[h]!, this.holdPort[h]!, this.holdConn[h]!, this.holdDest[h]!); this.counters.released++; }
      else this.counters.holdDrops++;
      this.holdUsed[h] = 0;
      this.holdCount--;
    }
  }

  /**
   * Keeps a copy of a frame that waits for ip to resolve (it leaves on learn() with its two tags,
   * or is dropped on failure). Returns false (refused, counted) when the pool is full or the frame
   * is too big. Hot path: copies into the preallocated pool.
   */
  hold(ip: number, buf: Uint8Array, off: number, len: number, port: number, connTag = -1, destTag = 0): boolean {
    if (this.holdCount === this.holdUsed.length || len > this.holdSlotSize) { this.counters.holdDrops++; return false; }
    for (let h = 0; h < this.holdUsed.length; h++) {
      if (this.holdUsed[h] !== 0) continue;
      // A byte loop, not set(subarray()): a subarray is a new object per frame.
      const hb = this.holdBuf;
      const base = h * this.holdSlotSize;
      for (let k = 0; k < len; k++) hb[base + k] = buf[off + k]!;
      this.holdIp[h] = ip >>> 0;
      this.holdLen[h] = len;
      this.holdPort[h] = port;
      this.holdConn[h] = connTag;
      this.holdDest[h] = destTag;
      this.holdUsed[h] = 1;
      this.holdCount++;
      this.counters.held++;
      return true;
    }
    this.counters.holdDrops++;
    return false;
  }

  get heldFrames(): number {
    return this.holdCount;
  }

  /**
   * Between batches: sends the ARP requests that are due through `send(ip)` and fails entries that
   * used up their probes. As neigh_timer_handler().
   */
  tick(nowMs: number, send: (ip: number) => void, dropped?: DroppedHeld): void {
    this.nowMs = nowMs;
    let n = this.probeCount;
    while (n-- > 0) {
      const i = this.probeRing[this.probeHead]!;
      this.probeHead = (this.probeHead + 1) % this.probeRing.length;
      this.probeCount--;
      this.queued[i] = 0;
      const s = this.state[i]!;
      const stale = s === NEIGH_REACHABLE && nowMs >= this.expiresAt[i]!;
      if (s !== NEIGH_INCOMPLETE && !stale) continue;
      if (nowMs < this.nextProbeAt[i]!) { this.queueProbe(i); continue; }
      if (this.probes[i]! >= this.maxProbes) {
        if (s === NEIGH_INCOMPLETE) {
          this.state[i] = NEIGH_FAILED;
          this.counters.failed++;
          this.dropHeld(this.keys[i]!, dropped);
        }
        // A stale entry that no longer answers simply runs out its grace.
        continue;
      }
      this.probes[i]!++;
      this.nextProbeAt[i] = nowMs + this.retransMs;
      this.counters.probes++;
      send(this.keys[i]!);
      this.queueProbe(i);
    }
  }

  private dropHeld(ip: number, dropped?: DroppedHeld): void {
    for (let h = 0; h < this.holdUsed.length && this.holdCount > 0; h++) {
      if (this.holdUsed[h] !== 0 && this.holdIp[h] === ip) {
        this.holdUsed[h] = 0;
        this.holdCount--;
        this.counters.holdFailed++;
        if (dropped) dropped(this.holdConn[h]!, this.holdDest[h]!);
      }
    }
  }

  /** State of ip's entry (NEIGH_*), for tests and `status`. */
  stateOf(ip: number): number {
    const i = this.find(ip);
    return i < 0 ? NEIGH_EMPTY : this.state[i]!;
  }

  /** Every entry in use, for `status` (control side, allocates). */
  entries(): Array<{ ip: number; state: number; mac: string; expiresInMs: number; port: number }> {
    const out: Array<{ ip: number; state: number; mac: string; expiresInMs: number; port: number }> = [];
    for (let i = 0; i <= this.mask; i++) {
      const s = this.state[i]!;
      if (s === NEIGH_EMPTY || s === NEIGH_FAILED) continue;
      const mac = Array.from(this.macs.subarray(i * 6, i * 6 + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
      out.push({ ip: this.keys[i]!, state: s, mac, expiresInMs: s === NEIGH_STATIC ? -1 : Math.max(0, this.expiresAt[i]! - this.nowMs), port: this.port[i]! });
    }
    return out;
  }
}
