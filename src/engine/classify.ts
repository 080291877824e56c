// Service lookup for an incoming packet, as ip_vs_service_find() (spec §1.1): first hit wins:
// 1. a packet with a non-zero fwmark: the fwmark service of that mark;
// 2. the exact (protocol, vaddr, vport) service;
// 3. TCP, when some service listens on port 21, and dport is 20 or ≥ 1024 (unprivileged ports):
//    the (TCP, vaddr, 21) service (FTP data connections caught by a persistent FTP service);
// 4. when some port-0 service exists: (protocol, vaddr, 0).
// The index is rebuilt on the control path whenever services change; lookups are two small
// open-addressing hash tables over typed arrays (no allocation, no string keys).

import { IPPROTO_TCP } from '../model/constants.js';
import type { Service } from './service.js';

/** net.ipv4.ip_unprivileged_port_start default. */
export const UNPRIVILEGED_PORT_START = 1024;

export class ServiceIndex {
  private mask: number;
  /** Addresses and marks as int32 (see ConnTable: no boxing). */
  private keyAddr: Int32Array;
  /** proto << 16 | port, or 0xFFFFFFFF for an empty bucket. */
  private keyPP: Uint32Array;
  private val: Int32Array;
  private fmMask: number;
  private fmKey: Int32Array;
  private fmVal: Int32Array;
  hasFwmark: boolean;
  hasPort21: boolean;
  hasPort0: boolean;

  constructor() {
    this.mask = 0;
    this.keyAddr = new Int32Array(1);
    this.keyPP = new Uint32Array(1).fill(0xffffffff);
    this.val = new Int32Array(1).fill(-1);
    this.fmMask = 0;
    this.fmKey = new Int32Array(1);
    this.fmVal = new Int32Array(1).fill(-1);
    this.hasFwmark = false;
    this.hasPort21 = false;
    this.hasPort0 = false;
  }

  private static size(n: number): number {
    let s = 8;
    while (s < n * 2) s *= 2;
    return s;
  }

  private static h(a: number, b: number): number {
    let x = Math.imul(a ^ 0x27d4eb2f, 0x9e3779b1) ^ b;
    x = Math.imul(x ^ (x >>> 15), 0x85ebca6b);
    return x ^ (x >>> 13);
  }

  /** Rebuild from the live services (control path). Services are indexed by their slot. */
  rebuild(services: readonly (Service | null)[]): void {
    let n = 0, nf = 0;
    for (const s of services) if (s) { if (s.fwmark) nf++; else n++; }
    const size = ServiceIndex.size(n);
    this.mask = size - 1;
    this.keyAddr = new Int32Array(size);
    this.keyPP = new Uint32Array(size).fill(0xffffffff);
    this.val = new Int32Array(size).fill(-1);
    const fsize = ServiceIndex.size(nf);
    this.fmMask = fsize - 1;
    this.fmKey = new Int32Array(fsize);
    this.fmVal = new Int32Array(fsize).fill(-1);
    this.hasFwmark = nf > 0;
    this.hasPort21 = false;
    this.hasPort0 = false;
    for (const s of services) {
      if (!s) continue;
      if (s.fwmark) {
        let b = ServiceIndex.h(s.fwmark | 0, 0) & this.fmMask;
        while (this.fmVal[b]! >= 0) b = (b + 1) & this.fmMask;
        this.fmKey[b] = s.fwmark | 0;
        this.fmVal[b] = s.slot;
        continue;
      }
      if (s.port === 21) this.hasPort21 = true;
      if (s.port === 0) this.hasPort0 = true;
      const pp = ((s.protocol << 16) | s.port) >>> 0;
      let b = ServiceIndex.h(s.addr | 0, pp) & this.mask;
      while (this.val[b]! >= 0) b = (b + 1) & this.mask;
      this.keyAddr[b] = s.addr | 0;
      this.keyPP[b] = pp;
      this.val[b] = s.slot;
    }
  }

  /** Exact (protocol, vaddr, vport) lookup (__ip_vs_service_find()); slot or -1. */
  findExact(proto: number, addr: number, port: number): number {
    addr |= 0;
    const pp = ((proto << 16) | port) >>> 0;
    let b = ServiceIndex.h(addr, pp) & this.mask;
    for (let k = 0; k <= this.mask; k++) {
      const v = this.val[b]!;
      if (v < 0) return -1;
      if (this.keyAddr[b] === addr && this.keyPP[b] === pp) return v;
      b = (b + 1) & this.mask;
    }
    return -1;
  }

  /** Fwmark service lookup (__ip_vs_svc_fwm_find()); slot or -1. */
  findFwmark(mark: number): number {
    mark |= 0;
    let b = ServiceIndex.h(mark, 0) & this.fmMask;
    for (let k = 0; k <= this.fmMask; k++) {
      const v = this.fmVal[b]!;
      if (v < 0) return -1;
      if (this.fmKey[b] === mark) return v;
      b = (b + 1) & this.fmMask;
    }
    return -1;
  }

  /** ip_vs_service_find(): the four steps of §1.1. */
  find(fwmark: number, proto: number, addr: number, port: number): number {
    if (fwmark !== 0 && this.hasFwmark) {
      const s = this.findFwmark(fwmark);
      if (s >= 0) return s;
    }
    let s = this.findExact(proto, addr, port);
    if (s >= 0) return s;
    if (proto === IPPROTO_TCP && this.hasPort21 && (port === 20 || port >= UNPRIVILEGED_PORT_START)) {
      s = this.findExact(IPPROTO_TCP, addr, 21);
      if (s >= 0) return s;
    }
    if (this.hasPort0) return this.findExact(proto, addr, 0);
    return -1;
  }
}
