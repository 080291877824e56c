// In-memory packet I/O for unit tests and microbenchmarks: two fixed rings of frame slots
// (receive and transmit) over one preallocated buffer each, the same recv/send shape as the
// live backends (a batch of frames into slab slots, lengths in a Uint32Array). A full ring drops
// the frame and counts it instead of growing.

import type { Slab } from './backend.js';

export class FrameRing {
  readonly slotSize: number;
  readonly slots: number;
  readonly data: Uint8Array;
  readonly lens: Uint32Array;
  head: number;
  count: number;
  drops: number;

  constructor(slots = 256, slotSize = 2048) {
    this.slots = slots;
    this.slotSize = slotSize;
    this.data = new Uint8Array(slots * slotSize);
    this.lens = new Uint32Array(slots);
    this.head = 0;
    this.count = 0;
    this.drops = 0;
  }

  /** Append a copy of buf[off, off+len); false (and counted) when full or too long. */
  push(buf: Uint8Array, off = 0, len = buf.length - off): boolean {
    if (this.count === this.slots || len > this.slotSize) {
      this.drops++;
      return false;
    }
    const slot = (this.head + this.count) % this.slots;
    this.data.set(buf.subarray(off, off + len), slot * this.slotSize);
    this.lens[slot] = len;
    this.count++;
    return true;
  }

  /** Copy the oldest frame into dst at off; returns its length, or -1 when empty. */
  shift(dst: Uint8Array, off: number): number {
    if (this.count === 0) return -1;
    const slot = this.head;
    const len = this.lens[slot]!;
    dst.set(this.data.subarray(slot * this.slotSize, slot * this.slotSize + len), off);
    this.head = (this.head + 1) % this.slots;
    this.count--;
    return len;
  }

  /** Test convenience: every queued frame as a copy, emptying the ring (allocates). */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const tmp = new Uint8Array(this.slotSize);
    for (let n = this.shift(tmp, 0); n >= 0; n = this.shift(tmp, 0)) out.push(tmp.slice(0, n));
    return out;
  }
}

/** A pair of rings behaving like one interface: tests push into rx and read what was sent from tx. */
export class MemoryIo {
  readonly kind = 'memory' as const;
  readonly ifname: string;
  readonly mtu: number;
  readonly mac: Uint8Array;
  readonly blocking = false;
  readonly rx: FrameRing;
  readonly tx: FrameRing;

  constructor(ifname = 'mem0', mac = Uint8Array.of(2, 0, 0, 0, 0, 1), slots = 256, mtu = 1500) {
    this.ifname = ifname;
    this.mac = mac;
    this.mtu = mtu;
    this.rx = new FrameRing(slots);
    this.tx = new FrameRing(slots);
  }

  /** Receive up to max frames into slab slots first.. (after their headroom). */
  recv(slab: Slab, first: number, max: number, lens: Uint32Array): number {
    let n = 0;
    while (n < max && first + n < slab.slots) {
      const room = slab.frameRoom;
      if (this.rx.count === 0 || this.rx.lens[this.rx.head]! > room) break;
      const len = this.rx.shift(slab.u8, slab.frameOffset(first + n));
      lens[n] = len;
      n++;
    }
    return n;
  }

  send(buf: Uint8Array, offsets: Uint32Array, lens: Uint32Array, count: number): number {
    let sent = 0;
    for (let i = 0; i < count; i++) if (this.tx.push(buf, offsets[i]!, lens[i]!)) sent++;
    return sent;
  }

  stats(): { packets: number; drops: number } {
    return { packets: 0, drops: this.rx.drops };
  }

  close(): void {
    this.rx.count = 0;
    this.tx.count = 0;
  }
}
