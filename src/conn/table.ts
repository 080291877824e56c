// The connection table (the kernel's ip_vs_conn_tab): a fixed-capacity struct-of-arrays, one
// slot index per conn, sized once from --max-conns. Every field lives in a typed array so the hot
// path never allocates and 1,000,000 conns fit in under 128 bytes each.
//
// Hashing follows ip_vs_conn.c: a conn is hashed ONCE, by the client side (protocol, caddr,
// cport), into index-linked chains (bucket heads + a link per slot). Both lookups hash the
// client side of the packet: the "in" lookup (client→VIP: saddr/sport) compares vaddr/vport, the
// "out" lookup (RS→client, NAT replies: daddr/dport) compares daddr/dport. Templates live in the
// same table with cport 0 and the TEMPLATE flag. Deleting unlinks from the chain (no tombstones)
// and pushes the slot on a free list; when the free list is empty new conns are refused and the
// caller drops and counts the packet, existing conns are untouched. The hash seed is injected.
// The chain walk reads one 32-byte hot record per entry (`hk`: caddr, vaddr, ports, link, flags,
// state/proto/dest, daddr, timeout), which also holds what each packet of the conn then reads and
// writes, so a packet costs about one cache line of conn state instead of one line per field;
// the colder fields (ports, fwmark, control, expiry, client MAC) stay in their own arrays.
// Addresses are kept and passed as int32 (same bits as the u32): a u32 above 2^31 is a heap
// number in V8 and would be boxed (allocated) whenever it crosses a call that is not inlined.

import { CONN_F_FWD_MASK, CONN_F_MASQ, CONN_F_TEMPLATE } from '../model/constants.js';

/** uvs-internal flag bit: the slot holds a conn (not an IPVS flag; never shown). */
export const CONN_F_USED = 0x8000;
/** uvs-internal flag bit: the conn is linked in a hash chain (as IP_VS_CONN_F_HASHED 0x40). */
export const CONN_F_LINKED = 0x0040;

/** Int32 slots per hot record, and their indexes. */
const HK = 8;
const K_LINK = 3;
const K_FLAGS = 4;
const K_SP = 5;
const K_DADDR = 6;
const K_TIMEOUT = 7;
/** Dest slots fit in the 16 high bits of the state/proto word (dest + 1, 0 = none). */
export const MAX_DEST_SLOTS = 0xfffe;

function nextPow2(n: number): number {
  let p = 16;
  while (p < n && p < 0x40000000) p *= 2;
  return p;
}

export class ConnTable {
  readonly capacity: number;
  readonly bucketMask: number;
  readonly seed: number;

  /** Addresses as int32 (the u32's bits): int32 values never box in V8, u32 ≥ 2^31 do. */
  readonly caddr: Int32Array;
  readonly vaddr: Int32Array;
  readonly daddr: Int32Array;
  readonly cport: Uint16Array;
  readonly vport: Uint16Array;
  readonly dport: Uint16Array;
  readonly fwmark: Uint32Array;
  /** Controlling template's slot, -1 when none. */
  readonly control: Int32Array;
  /** Number of conns this one controls (templates). */
  readonly nControl: Uint32Array;
  /** Absolute expiry time on the engine clock (ms). */
  readonly expires: Float64Array;
  /** Client-side next-hop MAC learned from the first client frame (6 bytes per slot), for NAT replies. */
  readonly cmac: Uint8Array;
  /**
   * The hot record, 8 int32 (32 bytes, two per cache line) per slot: what every packet of a conn
   * reads or writes. [0] caddr, [1] vaddr, [2] cport << 16 | vport, [3] link (hash-chain successor
   * while in use, free-list successor while free; -1 ends both), [4] CONN_F_* flags (every IPVS
   * flag fits in 16 bits) plus CONN_F_USED, [5] state | proto << 8 | (dest slot + 1) << 16 (TCP
   * state index, UDP 0, template NONE/ASSURED; dest slot in the engine's dest array, 0 = none),
   * [6] daddr (also in `daddr`), [7] the current timeout in ms (used when the timer is
   * restarted). Read and written through the accessors.
   */
  readonly hk: Int32Array;
  readonly buckets: Int32Array;

  count: number;
  private freeHead: number;

  constructor(capacity: number, seed = 0x5eed1e55) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`conn table capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    const nb = nextPow2(capacity);
    this.bucketMask = nb - 1;
    this.seed = seed | 0;
    this.caddr = new Int32Array(capacity);
    this.vaddr = new Int32Array(capacity);
    this.daddr = new Int32Array(capacity);
    this.cport = new Uint16Array(capacity);
    this.vport = new Uint16Array(capacity);
    this.dport = new Uint16Array(capacity);
    this.fwmark = new Uint32Array(capacity);
    this.control = new Int32Array(capacity);
    this.nControl = new Uint32Array(capacity);
    this.expires = new Float64Array(capacity);
    this.cmac = new Uint8Array(capacity * 6);
    this.hk = new Int32Array(capacity * HK);
    this.buckets = new Int32Array(nb).fill(-1);
    for (let i = 0; i < capacity; i++) this.hk[i * HK + K_LINK] = i + 1;
    this.hk[(capacity - 1) * HK + K_LINK] = -1;
    this.freeHead = 0;
    this.count = 0;
  }

  /** Bytes held by the typed arrays (for the memory-per-conn figure). */
  byteSize(): number {
    let n = 0;
    for (const a of [this.caddr, this.vaddr, this.daddr, this.cport, this.vport,
      this.dport, this.fwmark, this.control, this.nControl, this.expires, this.cmac,
      this.hk, this.buckets]) n += a.byteLength;
    return n;
  }

  /** Bucket of the client side (proto, addr, port): a murmur3-style finaliser over the seeded key. */
  hash(proto: number, addr: number, port: number): number {
    let h = Math.imul(addr ^ this.seed, 0x9e3779b1);
    h ^= (port << 8) ^ proto;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.bucketMask;
  }

  /** Take a free slot with every field reset; -1 when the table is full. */
  alloc(): number {
    const i = this.freeHead;
    if (i < 0) return -1;
    this.freeHead = this.hk[i * HK + K_LINK]!;
    this.hk[i * HK + K_LINK] = -1;
    this.setFlags(i, CONN_F_USED);
    this.setState(i, 0);
    this.setProto(i, 0);
    this.setDest(i, -1);
    this.control[i] = -1;
    this.nControl[i] = 0;
    this.fwmark[i] = 0;
    this.setTimeoutMs(i, 0);
    this.expires[i] = 0;
    this.count++;
    return i;
  }

  /** Return a slot (already unlinked) to the free list. */
  free(i: number): void {
    if ((this.flagsOf(i) & CONN_F_LINKED) !== 0) this.unlink(i);
    this.setFlags(i, 0);
    this.hk[i * HK + K_LINK] = this.freeHead;
    this.freeHead = i;
    this.count--;
  }

  /** Hash the conn by its client side (ip_vs_conn_hash()); fills its lookup record from the fields. */
  link(i: number): void {
    const b = this.hash(this.protoOf(i), this.caddr[i]!, this.cport[i]!);
    const o = i * HK;
    const hk = this.hk;
    hk[o] = this.caddr[i]!;
    hk[o + 1] = this.vaddr[i]!;
    hk[o + 2] = (this.cport[i]! << 16) | this.vport[i]!;
    hk[o + K_LINK] = this.buckets[b]!;
    this.buckets[b] = i;
    this.setFlags(i, this.flagsOf(i) | CONN_F_LINKED);
  }

  /** Remove the conn from its chain (ip_vs_conn_unhash()). */
  unlink(i: number): void {
    const b = this.hash(this.protoOf(i), this.caddr[i]!, this.cport[i]!);
    const hk = this.hk;
    let p = this.buckets[b]!;
    if (p === i) {
      this.buckets[b] = hk[i * HK + K_LINK]!;
    } else {
      let guard = this.capacity;
      while (p >= 0 && guard-- > 0) {
        const n = hk[p * HK + K_LINK]!;
        if (n === i) { hk[p * HK + K_LINK] = hk[i * HK + K_LINK]!; break; }
        p = n;
      }
    }
    hk[i * HK + K_LINK] = -1;
    this.setFlags(i, this.flagsOf(i) & ~CONN_F_LINKED);
  }

  /** "in" lookup (ip_vs_conn_in_get()): a client→VIP packet, non-template conns only. */
  lookupIn(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    saddr |= 0;
    daddr |= 0;
    const ports = (sport << 16) | dport;
    const hk = this.hk;
    let i = this.buckets[this.hash(proto, saddr, sport)]!;
    while (i >= 0) {
      const o = i << 3;
      if (hk[o] === saddr && hk[o + 2] === ports && hk[o + 1] === daddr &&
        this.protoOf(i) === proto && (this.flagsOf(i) & CONN_F_TEMPLATE) === 0) return i;
      i = hk[o + K_LINK]!;
    }
    return -1;
  }

  /**
   * "out" lookup (ip_vs_conn_out_get()): a RS→client packet. The client is the packet's
   * destination; MASQ conns compare the RS address/port, others the virtual address/port.
   */
  lookupOut(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    saddr |= 0;
    daddr |= 0;
    const hk = this.hk;
    let i = this.buckets[this.hash(proto, daddr, dport)]!;
    while (i >= 0) {
      const o = i << 3;
      if (hk[o] === daddr && (hk[o + 2]! >>> 16) === dport && this.protoOf(i) === proto) {
        const f = this.flagsOf(i);
        if ((f & CONN_F_TEMPLATE) === 0) {
          if ((f & CONN_F_FWD_MASK) === CONN_F_MASQ) {
            if (hk[o + K_DADDR] === saddr && this.dport[i] === sport) return i;
          } else if (hk[o + 1] === saddr && (hk[o + 2]! & 0xffff) === sport) {
            return i;
          }
        }
      }
      i = hk[o + K_LINK]!;
    }
    return -1;
  }

  /** Template lookup (ip_vs_ct_in_get()): cport is always 0; fwmark templates use proto 0 and vaddr = mark. */
  lookupTemplate(proto: number, caddr: number, vaddr: number, vport: number): number {
    caddr |= 0;
    vaddr |= 0;
    const hk = this.hk;
    let i = this.buckets[this.hash(proto, caddr, 0)]!;
    while (i >= 0) {
      const o = i << 3;
      if (hk[o] === caddr && hk[o + 2] === vport && hk[o + 1] === vaddr &&
        this.protoOf(i) === proto && (this.flagsOf(i) & CONN_F_TEMPLATE) !== 0) return i;
      i = hk[o + K_LINK]!;
    }
    return -1;
  }

  flagsOf(i: number): number {
    return this.hk[(i << 3) + K_FLAGS]!;
  }

  setFlags(i: number, f: number): void {
    this.hk[(i << 3) + K_FLAGS] = f & 0xffff;
  }

  stateOf(i: number): number {
    return this.hk[(i << 3) + K_SP]! & 0xff;
  }

  setState(i: number, st: number): void {
    const o = (i << 3) + K_SP;
    this.hk[o] = (this.hk[o]! & ~0xff) | (st & 0xff);
  }

  protoOf(i: number): number {
    return (this.hk[(i << 3) + K_SP]! >>> 8) & 0xff;
  }

  setProto(i: number, p: number): void {
    const o = (i << 3) + K_SP;
    this.hk[o] = (this.hk[o]! & ~0xff00) | ((p & 0xff) << 8);
  }

  /** Dest slot, -1 when none. */
  destOf(i: number): number {
    return (this.hk[(i << 3) + K_SP]! >>> 16) - 1;
  }

  setDest(i: number, d: number): void {
    const o = (i << 3) + K_SP;
    this.hk[o] = (this.hk[o]! & 0xffff) | (((d + 1) & 0xffff) << 16);
  }

  /** The dest address (int32) from the hot record. */
  daddrOf(i: number): number {
    return this.hk[(i << 3) + K_DADDR]!;
  }

  setDaddr(i: number, a: number): void {
    this.daddr[i] = a;
    this.hk[(i << 3) + K_DADDR] = a;
  }

  /** Timeouts are stored as u32 bits; only one above 2^31 ms (24.8 days) reads back as a double. */
  timeoutOf(i: number): number {
    return this.hk[(i << 3) + K_TIMEOUT]! >>> 0;
  }

  setTimeoutMs(i: number, ms: number): void {
    this.hk[(i << 3) + K_TIMEOUT] = ms | 0;
  }

  setCmac(i: number, src: Uint8Array, off: number): void {
    const o = i * 6;
    const m = this.cmac;
    m[o] = src[off]!; m[o + 1] = src[off + 1]!; m[o + 2] = src[off + 2]!;
    m[o + 3] = src[off + 3]!; m[o + 4] = src[off + 4]!; m[o + 5] = src[off + 5]!;
  }

  isUsed(i: number): boolean {
    return (this.flagsOf(i) & CONN_F_USED) !== 0;
  }
}
