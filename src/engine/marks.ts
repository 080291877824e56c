// Firewall marks computed by uvs itself (the kernel's skb mark is invisible through AF_PACKET):
// the iptables mangle rules of --marks (already parsed into MarkRule[] by src/control) are
// compiled into typed arrays and evaluated per packet in order, as iptables walks a chain: every
// rule whose matches all hold applies its MARK target, and since MARK is non-terminating the walk
// goes on, so a later matching rule sees (and may change) the mark an earlier one set.
// --set-xmark V/M: mark = (mark & ~M) ^ V; --set-mark V/M: mark = (mark & ~M) | V.
// `-i IFACE` matches the engine port the frame arrived on (0 outside, 1 inside) by interface name.
// DIFF: a wildcard `-i eth+` resolves to the first engine port whose name matches (uvs drives at
// most two interfaces, so one port is all a rule can mean).

import type { MarkRule } from '../model/config.js';
import type { PacketDesc } from '../packet/packet-desc.js';

const F_SRC_NEG = 1, F_DST_NEG = 2, F_PROTO_NEG = 4, F_SPORT_NEG = 8, F_DPORT_NEG = 16, F_IFACE_NEG = 32, F_OR = 64;

export class MarkClassifier {
  count: number;
  private srcAddr: Uint32Array;
  private srcMask: Uint32Array;
  private dstAddr: Uint32Array;
  private dstMask: Uint32Array;
  private proto: Uint8Array;
  private flags: Uint8Array;
  /** Engine port the rule's -i names: -1 any, -2 an interface uvs does not drive (never matches). */
  private iface: Int8Array;
  private value: Uint32Array;
  private mask: Uint32Array;
  /** Port ranges: rule r uses ranges [xStart[r], xStart[r+1]) of xLo/xHi; an empty list matches any port. */
  private spStart: Uint32Array;
  private spLo: Uint16Array;
  private spHi: Uint16Array;
  private dpStart: Uint32Array;
  private dpLo: Uint16Array;
  private dpHi: Uint16Array;

  constructor(rules: readonly MarkRule[] = [], ifaceNames: readonly string[] = []) {
    const n = rules.length;
    this.count = n;
    this.srcAddr = new Uint32Array(n);
    this.srcMask = new Uint32Array(n);
    this.dstAddr = new Uint32Array(n);
    this.dstMask = new Uint32Array(n);
    this.proto = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.iface = new Int8Array(n);
    this.value = new Uint32Array(n);
    this.mask = new Uint32Array(n);
    let ns = 0, nd = 0;
    for (const r of rules) { ns += r.srcPorts.length; nd += r.dstPorts.length; }
    this.spStart = new Uint32Array(n + 1);
    this.spLo = new Uint16Array(ns);
    this.spHi = new Uint16Array(ns);
    this.dpStart = new Uint32Array(n + 1);
    this.dpLo = new Uint16Array(nd);
    this.dpHi = new Uint16Array(nd);
    ns = 0; nd = 0;
    rules.forEach((r, i) => {
      this.srcMask[i] = r.srcMask >>> 0;
      this.srcAddr[i] = (r.srcAddr & r.srcMask) >>> 0;
      this.dstMask[i] = r.dstMask >>> 0;
      this.dstAddr[i] = (r.dstAddr & r.dstMask) >>> 0;
      this.proto[i] = r.protocol;
      this.flags[i] = (r.srcNegate ? F_SRC_NEG : 0) | (r.dstNegate ? F_DST_NEG : 0) | (r.protocolNegate ? F_PROTO_NEG : 0)
        | (r.srcPortsNegate ? F_SPORT_NEG : 0) | (r.dstPortsNegate ? F_DPORT_NEG : 0) | (r.inIfaceNegate ? F_IFACE_NEG : 0)
        | (r.op === 'mark' ? F_OR : 0);
      if (!r.inIface) this.iface[i] = -1;
      else {
        // `-i eth+` matches every interface whose name starts with "eth".
        const wild = r.inIface.endsWith('+');
        const stem = wild ? r.inIface.slice(0, -1) : r.inIface;
        const p = ifaceNames.findIndex((n) => (wild ? n.startsWith(stem) : n === stem));
        this.iface[i] = p >= 0 ? p : -2;
      }
      this.value[i] = r.value >>> 0;
      this.mask[i] = r.mask >>> 0;
      this.spStart[i] = ns;
      for (const [lo, hi] of r.srcPorts) { this.spLo[ns] = lo; this.spHi[ns] = hi; ns++; }
      this.dpStart[i] = nd;
      for (const [lo, hi] of r.dstPorts) { this.dpLo[nd] = lo; this.dpHi[nd] = hi; nd++; }
    });
    this.spStart[n] = ns;
    this.dpStart[n] = nd;
  }

  private static inRanges(port: number, start: Uint32Array, lo: Uint16Array, hi: Uint16Array, r: number): boolean {
    const a = start[r]!, b = start[r + 1]!;
    if (a === b) return true;
    for (let k = a; k < b; k++) if (port >= lo[k]! && port <= hi[k]!) return true;
    return false;
  }

  /** The mark after walking every rule, starting from d.fwmark (returned as int32: never boxed). */
  evaluate(d: PacketDesc): number {
    let mark = d.fwmark | 0;
    for (let r = 0; r < this.count; r++) {
      const f = this.flags[r]!;
      if ((((d.saddr & this.srcMask[r]!) >>> 0) === this.srcAddr[r]) === ((f & F_SRC_NEG) !== 0)) continue;
      if ((((d.daddr & this.dstMask[r]!) >>> 0) === this.dstAddr[r]) === ((f & F_DST_NEG) !== 0)) continue;
      const p = this.proto[r]!;
      if (p !== 0 && (d.proto === p) === ((f & F_PROTO_NEG) !== 0)) continue;
      const ifc = this.iface[r]!;
      if (ifc !== -1 && (ifc === d.port) === ((f & F_IFACE_NEG) !== 0)) continue;
      if (this.spStart[r] !== this.spStart[r + 1]) {
        // -m tcp/udp --sport: port matches need an L4 header (a non-first fragment never matches).
        if (d.isFragment && d.sport === 0 && d.dport === 0) continue;
        if (MarkClassifier.inRanges(d.sport, this.spStart, this.spLo, this.spHi, r) === ((f & F_SPORT_NEG) !== 0)) continue;
      }
      if (this.dpStart[r] !== this.dpStart[r + 1]) {
        if (d.isFragment && d.sport === 0 && d.dport === 0) continue;
        if (MarkClassifier.inRanges(d.dport, this.dpStart, this.dpLo, this.dpHi, r) === ((f & F_DPORT_NEG) !== 0)) continue;
      }
      const m = this.mask[r]!;
      mark = (f & F_OR) !== 0 ? ((mark & ~m) | this.value[r]!) : ((mark & ~m) ^ this.value[r]!);
    }
    return mark;
  }
}
