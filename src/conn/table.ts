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
// The chain walk reads one 16-byte record per entry (`hk`: caddr, vaddr, cport<<16|vport, link),
// so a lookup in a big table costs about one cache miss per chain entry instead of one per field;
// the protocol and flags are checked only for a record whose addresses and ports match.
// Addresses are kept and passed as int32 (same bits as the u32): a u32 above 2^31 is a heap
// number in V8 and would be boxed (allocated) whenever it crosses a call that is not inlined.

import { CONN_F_FWD_MASK, CONN_F_MASQ, CONN_F_TEMPLATE } from '../model/constants.js';

/** uvs-internal flag bit: the slot holds a conn (not an IPVS flag; never shown). */
export const CONN_F_USED = 0x8000;
/** uvs-internal flag bit: the conn is linked in a hash chain (as IP_VS_CONN_F_HASHED 0x40). */
export const CONN_F_LINKED = 0x0040;

function nextPow2(n: number): number {
  let p = 16;
  while (p < n && p < 0x40000000) p *= 2;
  return p;
}

export class ConnTable {
  readonly capacity: number;
  readonly bucketMask: number;
  readonly seed: number;

  readonly proto: Uint8Array;
  /** TCP state index, UDP 0, template NONE/ASSURED. */
  readonly state: Uint8Array;
  /** CONN_F_* bits (u16: every IPVS flag fits) plus CONN_F_USED. */
  readonly flags: Uint16Array;
  /** Addresses as int32 (the u32's bits): int32 values never box in V8, u32 ≥ 2^31 do. */
  readonly caddr: Int32Array;
  readonly vaddr: Int32Array;
  readonly daddr: Int32Array;
  readonly cport: Uint16Array;
  readonly vport: Uint16Array;
  readonly dport: Uint16Array;
  readonly fwmark: Uint32Array;
  /** Dest slot in the engine's dest array, -1 when none. */
  readonly dest: Int32Array;
  /** Controlling template's slot, -1 when none. */
  readonly control: Int32Array;
  /** Number of conns this one controls (templates). */
  readonly nControl: Uint32Array;
  /** Current timeout (ms) used when the timer is restarted. */
  readonly timeoutMs: Uint32Array;
  /** Absolute expiry time on the engine clock (ms). */
  readonly expires: Float64Array;
  /** Client-side next-hop MAC learned from the first client frame (6 bytes per slot), for NAT replies. */
  readonly cmac: Uint8Array;
  /**
   * The lookup record, 4 int32 per slot: [caddr, vaddr, cport << 16 | vport, link]; link is the
   * hash-chain successor while in use, the free-list successor while free (-1 ends both).
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
    this.proto = new Uint8Array(capacity);
    this.state = new Uint8Array(capacity);
    this.flags = new Uint16Array(capacity);
    this.caddr = new Int32Array(capacity);
    this.vaddr = new Int32Array(capacity);
    this.daddr = new Int32Array(capacity);
    this.cport = new Uint16Array(capacity);
    this.vport = new Uint16Array(capacity);
    this.dport = new Uint16Array(capacity);
    this.fwmark = new Uint32Array(capacity);
    this.dest = new Int32Array(capacity);
    this.control = new Int32Array(capacity);
    this.nControl = new Uint32Array(capacity);
    this.timeoutMs = new Uint32Array(capacity);
    this.expires = new Float64Array(capacity);
    this.cmac = new Uint8Array(capacity * 6);
    this.hk = new Int32Array(capacity * 4);
    this.buckets = new Int32Array(nb).fill(-1);
    for (let i = 0; i < capacity; i++) this.hk[i * 4 + 3] = i + 1;
    this.hk[(capacity - 1) * 4 + 3] = -1;
    this.freeHead = 0;
    this.count = 0;
  }

  /** Bytes held by the typed arrays (for the memory-per-conn figure). */
  byteSize(): number {
    let n = 0;
    for (const a of [this.proto, this.state, this.flags, this.caddr, this.vaddr, this.daddr, this.cport, this.vport,
      this.dport, this.fwmark, this.dest, this.control, this.nControl, this.timeoutMs, this.expires, this.cmac,
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
    this.freeHead = this.hk[i * 4 + 3]!;
    this.hk[i * 4 + 3] = -1;
    this.flags[i] = CONN_F_USED;
    this.state[i] = 0;
    this.proto[i] = 0;
    this.dest[i] = -1;
    this.control[i] = -1;
    this.nControl[i] = 0;
    this.fwmark[i] = 0;
    this.timeoutMs[i] = 0;
    this.expires[i] = 0;
    this.count++;
    return i;
  }

  /** Return a slot (already unlinked) to the free list. */
  free(i: number): void {
    if ((this.flags[i]! & CONN_F_LINKED) !== 0) this.unlink(i);
    this.flags[i] = 0;
    this.hk[i * 4 + 3] = this.freeHead;
    this.freeHead = i;
    this.count--;
  }

  /** Hash the conn by its client side (ip_vs_conn_hash()); fills its lookup record from the fields. */
  link(i: number): void {
    const b = this.hash(this.proto[i]!, this.caddr[i]!, this.cport[i]!);
    const o = i * 4;
    const hk = this.hk;
    hk[o] = this.caddr[i]!;
    hk[o + 1] = this.vaddr[i]!;
    hk[o + 2] = (this.cport[i]! << 16) | this.vport[i]!;
    hk[o + 3] = this.buckets[b]!;
    this.buckets[b] = i;
    this.flags[i] = this.flags[i]! | CONN_F_LINKED;
  }

  /** Remove the conn from its chain (ip_vs_conn_unhash()). */
  unlink(i: number): void {
    const b = this.hash(this.proto[i]!, this.caddr[i]!, this.cport[i]!);
    const hk = this.hk;
    let p = this.buckets[b]!;
    if (p === i) {
      this.buckets[b] = hk[i * 4 + 3]!;
    } else {
      let guard = this.capacity;
      while (p >= 0 && guard-- > 0) {
        const n = hk[p * 4 + 3]!;
        if (n === i) { hk[p * 4 + 3] = hk[i * 4 + 3]!; break; }
        p = n;
      }
    }
    hk[i * 4 + 3] = -1;
    this.flags[i] = this.flags[i]! & ~CONN_F_LINKED;
  }

  /** "in" lookup (ip_vs_conn_in_get()): a client→VIP packet, non-template conns only. */
  lookupIn(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    saddr |= 0;
    daddr |= 0;
    const ports = (sport << 16) | dport;
    const hk = this.hk;
    let i = this.buckets[this.hash(proto, saddr, sport)]!;
    while (i >= 0) {
      const o = i << 2;
      if (hk[o] === saddr && hk[o + 2] === ports && hk[o + 1] === daddr &&
        this.proto[i] === proto && (this.flags[i]! & CONN_F_TEMPLATE) === 0) return i;
      i = hk[o + 3]!;
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
      const o = i << 2;
      if (hk[o] === daddr && (hk[o + 2]! >>> 16) === dport && this.proto[i] === proto) {
        const f = this.flags[i]!;
        if ((f & CONN_F_TEMPLATE) === 0) {
          if ((f & CONN_F_FWD_MASK) === CONN_F_MASQ) {
            if (this.daddr[i] === saddr && this.dport[i] === sport) return i;
          } else if (hk[o + 1] === saddr && (hk[o + 2]! & 0xffff) === sport) {
            return i;
          }
        }
      }
      i = hk[o + 3]!;
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
      const o = i << 2;
      if (hk[o] === caddr && hk[o + 2] === vport && hk[o + 1] === vaddr &&
        this.proto[i] === proto && (this.flags[i]! & CONN_F_TEMPLATE) !== 0) return i;
      i = hk[o + 3]!;
    }
    return -1;
  }

  setCmac(i: number, src: Uint8Array, off: number): void {
    const o = i * 6;
    const m = this.cmac;
    m[o] = src[off]!; m[o + 1] = src[off + 1]!; m[o + 2] = src[off + 2]!;
    m[o + 3] = src[off + 3]!; m[o + 4] = src[off + 4]!; m[o + 5] = src[off + 5]!;
  }

  isUsed(i: number): boolean {
    return (this.flags[i]! & CONN_F_USED) !== 0;
  }
}
