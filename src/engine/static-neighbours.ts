// A NeighbourResolver from a fixed table (`--neigh IP=MAC`), for `uvs replay` and tests.
// An address without an entry resolves to a documented placeholder MAC, 02:00:<the four bytes of
// the IPv4 address> (locally administered, unicast), so a replay never stalls on ARP and an output
// capture still shows which real server a frame went to. Lookup is an open-addressing probe over
// typed arrays; the placeholder is written into a scratch slot (valid until the next lookup).

import type { NeighbourResolver } from './neighbour.js';

export function placeholderMac(ip: number): Uint8Array {
  return Uint8Array.of(0x02, 0x00, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255);
}

/** Parse "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes; null when malformed. */
export function parseMac(text: string): Uint8Array | null {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i]!;
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    out[i] = parseInt(p, 16);
  }
  return out;
}

export function formatMac(b: Uint8Array, off = 0): string {
  const h: string[] = [];
  for (let i = 0; i < 6; i++) h.push(b[off + i]!.toString(16).padStart(2, '0'));
  return h.join(':');
}

export class StaticNeighbours implements NeighbourResolver {
  readonly macs: Uint8Array;
  /** IPv4 addresses as int32 (same bits as the u32). */
  private readonly keys: Int32Array;
  private readonly vals: Int32Array;
  private readonly mask: number;
  private readonly scratch: number;

  constructor(entries: ReadonlyArray<readonly [number, Uint8Array]> = []) {
    let size = 16;
    while (size < entries.length * 2) size *= 2;
    this.mask = size - 1;
    this.keys = new Int32Array(size);
    this.vals = new Int32Array(size).fill(-1);
    this.macs = new Uint8Array((entries.length + 1) * 6);
    this.scratch = entries.length;
    let slot = 0;
    for (const [ip, mac] of entries) {
      let b = this.bucket(ip | 0);
      while (this.vals[b]! >= 0 && this.keys[b] !== (ip | 0)) b = (b + 1) & this.mask;
      const s = this.vals[b]! >= 0 ? this.vals[b]! : slot++;
      this.keys[b] = ip | 0;
      this.vals[b] = s;
      this.macs.set(mac.subarray(0, 6), s * 6);
    }
  }

  private bucket(ip: number): number {
    return (Math.imul(ip, 0x9e3779b1) >>> 20) & this.mask;
  }

  lookup(ip: number): number {
    ip |= 0;
    let b = this.bucket(ip);
    for (let k = 0; k <= this.mask; k++) {
      const v = this.vals[b]!;
      if (v < 0) break;
      if (this.keys[b] === ip) return v;
      b = (b + 1) & this.mask;
    }
    const o = this.scratch * 6;
    const m = this.macs;
    m[o] = 0x02; m[o + 1] = 0x00; m[o + 2] = ip >>> 24; m[o + 3] = (ip >>> 16) & 255; m[o + 4] = (ip >>> 8) & 255; m[o + 5] = ip & 255;
    return this.scratch;
  }
}
