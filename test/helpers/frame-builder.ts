// Test-only frame builder and decoder. Builds Ethernet frames layer by layer with every length and
// checksum computed from scratch (its own one's-complement sum, independent of src/packet), so a
// fixture built here checks the datapath's incremental checksum math against full recomputation.
//
//   const f = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' })
//     .ipv4({ src: '10.0.0.1', dst: '10.0.0.100', ttl: 64, df: true })
//     .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 })
//     .payload('hello')
//     .build();                                  // Uint8Array, exact frame
//   const s = f.inSlab({ headroom: 64 });      // { buf, off, len } for transmitters needing headroom
//
// Builders are immutable: every call returns a new builder, so a base frame can be extended in
// several ways. Layers nest in call order: `.ipv4().ipv4().tcp()` is IP-in-IP (outer proto 4),
// `.icmp({...}).payload(icmpQuote(frame))` is an ICMP error quoting another frame.
// decodeFrame() prints a frame one field per line (checksums marked ok/BAD), never throwing, so
// `expect(decodeFrame(out)).toBe(decodeFrame(want))` shows a readable diff on mismatch.

export type MacLike = string | Uint8Array | readonly number[];
export type AddrLike = string | number;
export type Bytes = Uint8Array | readonly number[] | string;

export interface EthOpts {
  src?: MacLike;
  dst?: MacLike;
  /** EtherType; default follows the next layer (IPv4 0x0800, ARP 0x0806). */
  type?: number;
  /** Insert one 802.1Q tag with this VLAN id. */
  vlan?: number;
  /** 802.1Q priority (PCP), default 0. */
  pcp?: number;
}

export interface Ipv4Opts {
  src: AddrLike;
  dst: AddrLike;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** Protocol; default follows the next layer (tcp 6, udp 17, icmp 1, ipv4 4). */
  proto?: number;
  /** IP options (padded with zeros to a multiple of 4). */
  options?: Bytes;
  /** Override fields to build broken packets. */
  csum?: number;
  totalLength?: number;
  ihl?: number;
  version?: number;
}

export interface TcpOpts {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** Number, or letters: F S R P A U E C (e.g. 'SA', 'PA', 'FA'). */
  flags?: number | string;
  window?: number;
  urg?: number;
  options?: Bytes;
  csum?: number;
  /** Data offset override in 32-bit words. */
  doff?: number;
}

export interface UdpOpts {
  sport: number;
  dport: number;
  /** A number overrides; 0 means "no checksum" as on the wire. */
  csum?: number;
  length?: number;
}

export interface IcmpOpts {
  type: number;
  code?: number;
  /** The 4 bytes after the checksum as a u32 (echo id/seq, or unused/MTU for frag-needed). */
  rest?: number;
  id?: number;
  seq?: number;
  /** Next-hop MTU for Destination Unreachable / Fragmentation Needed. */
  mtu?: number;
  csum?: number;
}

export interface ArpOpts {
  /** 1 request, 2 reply. */
  op?: number;
  sha?: MacLike;
  spa: AddrLike;
  tha?: MacLike;
  tpa: AddrLike;
}

type Layer =
  | { kind: 'eth'; o: EthOpts }
  | { kind: 'ipv4'; o: Ipv4Opts }
  | { kind: 'tcp'; o: TcpOpts }
  | { kind: 'udp'; o: UdpOpts }
  | { kind: 'icmp'; o: IcmpOpts }
  | { kind: 'arp'; o: ArpOpts }
  | { kind: 'payload'; bytes: Uint8Array }
  | { kind: 'pad'; to: number };

export interface SlabFrame {
  buf: Uint8Array;
  off: number;
  len: number;
}

// ---------------------------------------------------------------------------------------------
// Small conversions (test code: clarity over speed)

export function mac(m: MacLike): Uint8Array {
  if (typeof m === 'string') {
    const parts = m.split(/[:-]/);
    if (parts.length !== 6) throw new Error(`bad MAC ${m}`);
    return Uint8Array.from(parts.map((p) => {
      const v = parseInt(p, 16);
      if (!(v >= 0 && v <= 255)) throw new Error(`bad MAC ${m}`);
      return v;
    }));
  }
  if (m.length !== 6) throw new Error('MAC must have 6 bytes');
  return Uint8Array.from(m);
}

export function ip(a: AddrLike): number {
  if (typeof a === 'number') return a >>> 0;
  const parts = a.split('.');
  if (parts.length !== 4) throw new Error(`bad IPv4 ${a}`);
  let v = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new Error(`bad IPv4 ${a}`);
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function ipStr(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function macStr(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push((b[off + i] ?? 0).toString(16).padStart(2, '0'));
  return out.join(':');
}

export function bytes(b: Bytes): Uint8Array {
  if (typeof b === 'string') return new TextEncoder().encode(b);
  return Uint8Array.from(b);
}

export function hex(b: Uint8Array, off = 0, len = b.length - off): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (b[off + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

function tcpFlags(f: number | string | undefined): number {
  if (f === undefined) return 0x10;
  if (typeof f === 'number') return f & 0xff;
  const bits: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };
  let v = 0;
  for (const ch of f.toUpperCase()) {
    const b = bits[ch];
    if (b === undefined) throw new Error(`bad TCP flag ${ch}`);
    v |= b;
  }
  return v;
}

/** Plain one's-complement sum of 16-bit big-endian words, folded; independent of src/packet. */
export function onesSum(parts: Uint8Array[]): number {
  let sum = 0;
  let odd = false;
  let carryByte = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (!odd) {
        carryByte = p[i]!;
        odd = true;
      } else {
        sum += (carryByte << 8) | p[i]!;
        odd = false;
      }
    }
  }
  if (odd) sum += carryByte << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

export function inetChecksum(...parts: Uint8Array[]): number {
  return ~onesSum(parts) & 0xffff;
}

function u16(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 255, v & 255);
}
function u32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}
function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
function pad4(b: Uint8Array): Uint8Array {
  const n = (b.length + 3) & ~3;
  if (n === b.length) return b;
  const out = new Uint8Array(n);
  out.set(b);
  return out;
}

function pseudo(ipSrc: number, ipDst: number, proto: number, len: number): Uint8Array {
  return concat(u32(ipSrc), u32(ipDst), Uint8Array.of(0, proto), u16(len));
}

// ---------------------------------------------------------------------------------------------
// The builder

export class FrameBuilder {
  constructor(readonly layers: readonly Layer[]) {}

  private add(l: Layer): FrameBuilder {
    return new FrameBuilder([...this.layers, l]);
  }

  eth(o: EthOpts = {}): FrameBuilder {
    return this.add({ kind: 'eth', o });
  }
  ipv4(o: Ipv4Opts): FrameBuilder {
    return this.add({ kind: 'ipv4', o });
  }
  tcp(o: TcpOpts): FrameBuilder {
    return this.add({ kind: 'tcp', o });
  }
  udp(o: UdpOpts): FrameBuilder {
    return this.add({ kind: 'udp', o });
  }
  icmp(o: IcmpOpts): FrameBuilder {
    return this.add({ kind: 'icmp', o });
  }
  arp(o: ArpOpts): FrameBuilder {
    return this.add({ kind: 'arp', o });
  }
  /** Raw bytes (string = UTF-8 text, number = that many bytes 0,1,2,...). */
  payload(b: Bytes | number): FrameBuilder {
    if (typeof b === 'number') {
      const out = new Uint8Array(b);
      for (let i = 0; i < b; i++) out[i] = i & 255;
      return this.add({ kind: 'payload', bytes: out });
    }
    return this.add({ kind: 'payload', bytes: bytes(b) });
  }

  /** Ethernet padding: zeros after everything else up to `minLen` bytes (e.g. 60), outside IP. */
  padTo(minLen: number): FrameBuilder {
    return this.add({ kind: 'pad', to: minLen });
  }

  /** The frame's bytes, with every length and checksum computed. */
  build(): Uint8Array {
    let inner: Uint8Array = new Uint8Array(0);
    let padTo = 0;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i]!;
      if (l.kind === 'pad') padTo = Math.max(padTo, l.to);
      else inner = this.encode(i, inner);
    }
    if (inner.length < padTo) {
      const out = new Uint8Array(padTo);
      out.set(inner);
      return out;
    }
    return inner;
  }

  /** The frame copied into a larger zero-filled slab at offset `headroom`. */
  inSlab(opts: { headroom?: number; tailroom?: number } = {}): SlabFrame {
    const headroom = opts.headroom ?? 64;
    const tailroom = opts.tailroom ?? 64;
    const f = this.build();
    const buf = new Uint8Array(headroom + f.length + tailroom);
    buf.set(f, headroom);
    return { buf, off: headroom, len: f.length };
  }

  private next(i: number): Layer | undefined {
    for (let j = i + 1; j < this.layers.length; j++) {
      if (this.layers[j]!.kind !== 'pad') return this.layers[j];
    }
    return undefined;
  }

  private enclosingIp(i: number): Ipv4Opts {
    for (let j = i - 1; j >= 0; j--) {
      const l = this.layers[j]!;
      if (l.kind === 'ipv4') return l.o;
    }
    throw new Error('tcp/udp needs an enclosing ipv4 layer for its pseudo-header');
  }

  private encode(i: number, inner: Uint8Array): Uint8Array {
    const l = this.layers[i]!;
    switch (l.kind) {
      case 'payload':
        return concat(l.bytes, inner);
      case 'pad':
        return inner;
      case 'eth': {
        const o = l.o;
        const nx = this.next(i);
        const type = o.type ?? (nx?.kind === 'arp' ? 0x0806 : 0x0800);
        const dst = mac(o.dst ?? '02:00:00:00:00:02');
        const src = mac(o.src ?? '02:00:00:00:00:01');
        const tag = o.vlan === undefined ? new Uint8Array(0)
          : concat(u16(0x8100), u16((((o.pcp ?? 0) & 7) << 13) | (o.vlan & 0xfff)));
        return concat(dst, src, tag, u16(type), inner);
      }
      case 'arp': {
        const o = l.o;
        return concat(
          u16(1), u16(0x0800), Uint8Array.of(6, 4), u16(o.op ?? 1),
          mac(o.sha ?? '02:00:00:00:00:01'), u32(ip(o.spa)),
          mac(o.tha ?? '00:00:00:00:00:00'), u32(ip(o.tpa)),
          inner,
        );
      }
      case 'ipv4': {
        const o = l.o;
        const nx = this.next(i);
        const proto = o.proto ?? (nx?.kind === 'tcp' ? 6 : nx?.kind === 'udp' ? 17 : nx?.kind === 'icmp' ? 1
          : nx?.kind === 'ipv4' ? 4 : 255);
        const opts = o.options === undefined ? new Uint8Array(0) : pad4(bytes(o.options));
        const hlen = 20 + opts.length;
        const ihl = o.ihl ?? hlen / 4;
        const total = o.totalLength ?? hlen + inner.length;
        const frag = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) & 0x1fff);
        const h = concat(
          Uint8Array.of((((o.version ?? 4) & 15) << 4) | (ihl & 15), o.tos ?? 0),
          u16(total), u16(o.id ?? 0), u16(frag), Uint8Array.of(o.ttl ?? 64, proto),
          u16(0), u32(ip(o.src)), u32(ip(o.dst)), opts,
        );
        const c = o.csum ?? inetChecksum(h);
        h[10] = c >>> 8;
        h[11] = c & 255;
        return concat(h, inner);
      }
      case 'tcp': {
        const o = l.o;
        const opts = o.options === undefined ? new Uint8Array(0) : pad4(bytes(o.options));
        const hlen = 20 + opts.length;
        const doff = o.doff ?? hlen / 4;
        const h = concat(
          u16(o.sport), u16(o.dport), u32(o.seq ?? 0), u32(o.ack ?? 0),
          Uint8Array.of((doff & 15) << 4, tcpFlags(o.flags)), u16(o.window ?? 65535),
          u16(0), u16(o.urg ?? 0), opts,
        );
        const ipo = this.enclosingIp(i);
        const seg = concat(h, inner);
        const c = o.csum ?? inetChecksum(pseudo(ip(ipo.src), ip(ipo.dst), 6, seg.length), seg);
        seg[16] = c >>> 8;
        seg[17] = c & 255;
        return seg;
      }
      case 'udp': {
        const o = l.o;
        const length = o.length ?? 8 + inner.length;
        const seg = concat(u16(o.sport), u16(o.dport), u16(length), u16(0), inner);
        const ipo = this.enclosingIp(i);
        let c: number;
        if (o.csum !== undefined) c = o.csum;
        else {
          c = inetChecksum(pseudo(ip(ipo.src), ip(ipo.dst), 17, seg.length), seg);
          if (c === 0) c = 0xffff;
        }
        seg[6] = c >>> 8;
        seg[7] = c & 255;
        return seg;
      }
      case 'icmp': {
        const o = l.o;
        let rest = o.rest ?? 0;
        if (o.id !== undefined || o.seq !== undefined) rest = (((o.id ?? 0) & 0xffff) * 0x10000) + ((o.seq ?? 0) & 0xffff);
        if (o.mtu !== undefined) rest = o.mtu & 0xffff;
        const seg = concat(Uint8Array.of(o.type, o.code ?? 0), u16(0), u32(rest), inner);
        const c = o.csum ?? inetChecksum(seg);
        seg[2] = c >>> 8;
        seg[3] = c & 255;
        return seg;
      }
    }
  }
}

export function eth(o: EthOpts = {}): FrameBuilder {
  return new FrameBuilder([{ kind: 'eth', o }]);
}

/** Offset of the IPv4/ARP header in an Ethernet frame (14, or 18 with one 802.1Q tag). */
export function l3Offset(frame: Uint8Array, off = 0): number {
  const t = ((frame[off + 12] ?? 0) << 8) | (frame[off + 13] ?? 0);
  return t === 0x8100 ? 18 : 14;
}

/** What an ICMP error quotes (RFC 792): the IP header of `frame` plus the first 8 bytes after it. */
export function icmpQuote(frame: Uint8Array, off = 0): Uint8Array {
  const l3 = off + l3Offset(frame, off);
  const ihl = ((frame[l3] ?? 0) & 15) * 4;
  const end = Math.min(frame.length, l3 + ihl + 8);
  return frame.slice(l3, end);
}

// ---------------------------------------------------------------------------------------------
// The decoder: one field per line, never throws.

function rd16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}
function rd32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}
function h16(v: number): string {
  return '0x' + v.toString(16).padStart(4, '0');
}

/** Decode a frame, one `layer.field = value` per line; checksums are checked from scratch. */
export function decodeFrame(buf: Uint8Array, off = 0, len = buf.length - off): string {
  const lines: string[] = [];
  try {
    const b = buf.subarray(off, off + len);
    lines.push(`frame.len = ${b.length}`);
    if (b.length < 14) {
      lines.push(`truncated ethernet: ${hex(b)}`);
      return lines.join('\n');
    }
    lines.push(`eth.dst = ${macStr(b, 0)}`, `eth.src = ${macStr(b, 6)}`);
    let type = rd16(b, 12);
    let p = 14;
    if (type === 0x8100) {
      if (b.length < 18) {
        lines.push('truncated vlan tag');
        return lines.join('\n');
      }
      const tci = rd16(b, 14);
      lines.push(`vlan.pcp = ${tci >>> 13}`, `vlan.id = ${tci & 0xfff}`);
      type = rd16(b, 16);
      p = 18;
    }
    lines.push(`eth.type = ${h16(type)}`);
    if (type === 0x0806) decodeArp(b, p, lines);
    else if (type === 0x0800) decodeIp(b, p, b.length - p, lines, 'ip', true);
    else if (b.length > p) lines.push(`payload = ${hex(b, p)}`);
  } catch (e) {
    lines.push(`decoder error: ${String(e)}`);
  }
  return lines.join('\n');
}

function decodeArp(b: Uint8Array, p: number, lines: string[]): void {
  if (b.length - p < 28) {
    lines.push(`truncated arp: ${hex(b, p)}`);
    return;
  }
  lines.push(
    `arp.htype = ${rd16(b, p)}`, `arp.ptype = ${h16(rd16(b, p + 2))}`,
    `arp.hlen = ${b[p + 4]}`, `arp.plen = ${b[p + 5]}`, `arp.op = ${rd16(b, p + 6)}`,
    `arp.sha = ${macStr(b, p + 8)}`, `arp.spa = ${ipStr(rd32(b, p + 14))}`,
    `arp.tha = ${macStr(b, p + 18)}`, `arp.tpa = ${ipStr(rd32(b, p + 24))}`,
  );
  if (b.length > p + 28) lines.push(`arp.trailer = ${hex(b, p + 28)}`);
}

function decodeIp(b: Uint8Array, p: number, avail: number, lines: string[], pre: string, checkL4: boolean): void {
  if (avail < 20) {
    lines.push(`${pre}: truncated header ${hex(b, p, Math.max(0, avail))}`);
    return;
  }
  const vihl = b[p]!;
  const ihl = (vihl & 15) * 4;
  const total = rd16(b, p + 2);
  const frag = rd16(b, p + 6);
  const proto = b[p + 9]!;
  const src = rd32(b, p + 12);
  const dst = rd32(b, p + 16);
  lines.push(
    `${pre}.version = ${vihl >>> 4}`, `${pre}.ihl = ${ihl}`, `${pre}.tos = ${h16(b[p + 1]!)}`,
    `${pre}.totalLength = ${total}`, `${pre}.id = ${h16(rd16(b, p + 4))}`,
    `${pre}.df = ${(frag & 0x4000) !== 0}`, `${pre}.mf = ${(frag & 0x2000) !== 0}`,
    `${pre}.fragOffset = ${frag & 0x1fff}`, `${pre}.ttl = ${b[p + 8]}`, `${pre}.proto = ${proto}`,
  );
  const csum = rd16(b, p + 10);
  if (ihl >= 20 && ihl <= avail) {
    const h = b.slice(p, p + ihl);
    h[10] = 0;
    h[11] = 0;
    const want = inetChecksum(h);
    lines.push(`${pre}.csum = ${h16(csum)} ${want === csum ? '(ok)' : `(BAD, want ${h16(want)})`}`);
    if (ihl > 20) lines.push(`${pre}.options = ${hex(b, p + 20, ihl - 20)}`);
  } else {
    lines.push(`${pre}.csum = ${h16(csum)} (header length ${ihl} invalid)`);
  }
  lines.push(`${pre}.src = ${ipStr(src)}`, `${pre}.dst = ${ipStr(dst)}`);
  if (ihl < 20 || ihl > avail) return;
  // A quoted header inside an ICMP error is truncated: decode what is there, skip L4 checksums.
  const l4len = Math.min(avail, checkL4 ? total : avail) - ihl;
  if (checkL4 && total > avail) lines.push(`${pre}: totalLength exceeds frame (${avail} bytes)`);
  if (checkL4 && avail > total) lines.push(`${pre}.trailer = ${hex(b, p + total, avail - total)}`);
  const l4 = p + ihl;
  const firstFrag = (frag & 0x1fff) === 0;
  if (l4len <= 0) return;
  if (!firstFrag) {
    lines.push(`${pre}.fragment = ${hex(b, l4, l4len)}`);
    return;
  }
  const wholeDatagram = checkL4 && (frag & 0x2000) === 0;
  const ps = (pr: number, n: number): Uint8Array => pseudo(src, dst, pr, n);
  if (proto === 6) {
    const t = 'tcp';
    if (l4len < 20) {
      lines.push(`${t}: truncated ${hex(b, l4, l4len)}`);
      if (l4len >= 4) lines.push(`${t}.sport = ${rd16(b, l4)}`, `${t}.dport = ${rd16(b, l4 + 2)}`);
      return;
    }
    const doff = (b[l4 + 12]! >>> 4) * 4;
    lines.push(
      `${t}.sport = ${rd16(b, l4)}`, `${t}.dport = ${rd16(b, l4 + 2)}`, `${t}.seq = ${rd32(b, l4 + 4)}`,
      `${t}.ack = ${rd32(b, l4 + 8)}`, `${t}.doff = ${doff}`, `${t}.flags = ${h16(b[l4 + 13]!)}`,
      `${t}.window = ${rd16(b, l4 + 14)}`,
    );
    const c = rd16(b, l4 + 16);
    if (wholeDatagram) {
      const seg = b.slice(l4, l4 + l4len);
      seg[16] = 0;
      seg[17] = 0;
      const want = inetChecksum(ps(6, l4len), seg);
      lines.push(`${t}.csum = ${h16(c)} ${want === c ? '(ok)' : `(BAD, want ${h16(want)})`}`);
    } else lines.push(`${t}.csum = ${h16(c)}`);
    if (doff > 20 && doff <= l4len) lines.push(`${t}.options = ${hex(b, l4 + 20, doff - 20)}`);
    if (doff >= 20 && l4len > doff) lines.push(`${t}.payload = ${hex(b, l4 + doff, l4len - doff)}`);
  } else if (proto === 17) {
    const t = 'udp';
    if (l4len < 8) {
      lines.push(`${t}: truncated ${hex(b, l4, l4len)}`);
      if (l4len >= 4) lines.push(`${t}.sport = ${rd16(b, l4)}`, `${t}.dport = ${rd16(b, l4 + 2)}`);
      return;
    }
    lines.push(`${t}.sport = ${rd16(b, l4)}`, `${t}.dport = ${rd16(b, l4 + 2)}`, `${t}.length = ${rd16(b, l4 + 4)}`);
    const c = rd16(b, l4 + 6);
    if (c === 0) lines.push(`${t}.csum = 0x0000 (none)`);
    else if (wholeDatagram) {
      const seg = b.slice(l4, l4 + l4len);
      seg[6] = 0;
      seg[7] = 0;
      let want = inetChecksum(ps(17, l4len), seg);
      if (want === 0) want = 0xffff;
      lines.push(`${t}.csum = ${h16(c)} ${want === c ? '(ok)' : `(BAD, want ${h16(want)})`}`);
    } else lines.push(`${t}.csum = ${h16(c)}`);
    if (l4len > 8) lines.push(`${t}.payload = ${hex(b, l4 + 8, l4len - 8)}`);
  } else if (proto === 1) {
    const t = 'icmp';
    if (l4len < 8) {
      lines.push(`${t}: truncated ${hex(b, l4, l4len)}`);
      return;
    }
    const type = b[l4]!;
    lines.push(`${t}.type = ${type}`, `${t}.code = ${b[l4 + 1]}`, `${t}.rest = ${h16(rd16(b, l4 + 4))} ${h16(rd16(b, l4 + 6))}`);
    const c = rd16(b, l4 + 2);
    if (wholeDatagram) {
      const seg = b.slice(l4, l4 + l4len);
      seg[2] = 0;
      seg[3] = 0;
      const want = inetChecksum(seg);
      lines.push(`${t}.csum = ${h16(c)} ${want === c ? '(ok)' : `(BAD, want ${h16(want)})`}`);
    } else lines.push(`${t}.csum = ${h16(c)}`);
    if (l4len > 8) {
      if (type === 3 || type === 4 || type === 5 || type === 11 || type === 12) {
        decodeIp(b, l4 + 8, l4len - 8, lines, `${t}.inner`, false);
      } else lines.push(`${t}.payload = ${hex(b, l4 + 8, l4len - 8)}`);
    }
  } else if (proto === 4) {
    decodeIp(b, l4, l4len, lines, `${pre}.inner`, checkL4);
  } else if (proto === 47 && l4len >= 4) {
    const flags = rd16(b, l4);
    const gproto = rd16(b, l4 + 2);
    lines.push(`gre.flags = ${h16(flags)}`, `gre.proto = ${h16(gproto)}`);
    let hl = 4;
    if ((flags & 0x8000) !== 0 && l4len >= 8) {
      const c = rd16(b, l4 + 4);
      const seg = b.slice(l4, l4 + l4len);
      seg[4] = 0;
      seg[5] = 0;
      const want = inetChecksum(seg);
      lines.push(`gre.csum = ${h16(c)} ${want === c ? '(ok)' : `(BAD, want ${h16(want)})`}`);
      hl = 8;
    }
    if (gproto === 0x0800) decodeIp(b, l4 + hl, l4len - hl, lines, `${pre}.inner`, checkL4);
    else lines.push(`gre.payload = ${hex(b, l4 + hl, l4len - hl)}`);
  } else {
    lines.push(`${pre}.payload = ${hex(b, l4, l4len)}`);
  }
}

/** null when equal, else both decodes side by side (only differing lines) plus the first differing byte. */
export function frameDiff(actual: Uint8Array, expected: Uint8Array): string | null {
  if (actual.length === expected.length && actual.every((v, i) => v === expected[i])) return null;
  const a = decodeFrame(actual).split('\n');
  const e = decodeFrame(expected).split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) out.push(`- want ${e[i] ?? '(none)'}\n+ got  ${a[i] ?? '(none)'}`);
  }
  let first = 0;
  while (first < actual.length && first < expected.length && actual[first] === expected[first]) first++;
  out.push(`first differing byte at ${first} (lengths ${actual.length} vs ${expected.length})`);
  return out.join('\n');
}
