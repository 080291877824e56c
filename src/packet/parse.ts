// parseFrame(): one pass over an Ethernet frame that fills the worker's PacketDesc and says what
// the frame is: IPv4 for the pipeline, ARP, something else to pass on, or a named drop.
//
// Checks, in the order the kernel's receive path makes them (ip_rcv_core(), tcp_v4_rcv(),
// udp_rcv(), icmp_rcv()): Ethernet header present (one 802.1Q tag allowed), IPv4 version 4,
// header length ≥ 20 and inside the frame, total length ≥ header length and inside the frame
// (Ethernet padding after it is ignored), header checksum; then for the first fragment (or an
// unfragmented packet) enough of the TCP/UDP/ICMP header for ports, flags and types, a sane TCP
// data offset and UDP length. Non-first fragments carry no L4 header: ports stay 0.
// L4 checksums are not verified (IPVS does not either, except when an application helper rewrites
// the payload); the transmitters update them incrementally.
//
// Never throws and never allocates: every read is bounds-checked against the frame length first.

import {
  DROP_BAD_ARP, DROP_BAD_IHL, DROP_BAD_IP_CSUM, DROP_BAD_IP_LEN, DROP_BAD_IP_VERSION, DROP_BAD_TCP_OFF,
  DROP_BAD_UDP_LEN, DROP_TRUNC_ARP, DROP_TRUNC_ETH, DROP_TRUNC_IP, PARSE_ARP, PARSE_OTHER,
} from './drop.js';
import { arpIsEtherIpv4 } from './arp.js';
import type { PacketDesc } from './packet-desc.js';
import { frameView } from './view.js';

// Module-local copies of the constants used per frame (same values as drop.ts, ethernet.ts,
// ipv4.ts, tcp.ts, udp.ts, icmp.ts, arp.ts). V8 checks every use of an imported binding for the
// temporal dead zone; that cost ~9 ns per frame here (bench/xmit), a local const folds to a literal.
const OK_IPV4 = 0; // PARSE_OK_IPV4
const TRUNC_L4 = 9; // DROP_TRUNC_L4
const ETH_HLEN = 14;
const VLAN_ETH_HLEN = 18;
const ETH_P_8021Q = 0x8100;
const ETH_P_ARP = 0x0806;
const ETH_P_IP = 0x0800;
const ARP_LEN = 28;
const ARP_SPA = 14;
const ARP_TPA = 24;
const IP_HLEN = 20;
const IP_TOS = 1;
const IP_TOT_LEN = 2;
const IP_FRAG_OFF = 6;
const IP_TTL = 8;
const IP_PROTO = 9;
const IP_SADDR = 12;
const IP_DF = 0x4000;
const IP_MF = 0x2000;
const IP_OFFSET = 0x1fff;
const TCP_HLEN = 20;
const TCP_FLAGS = 13;
const UDP_HLEN = 8;
const UDP_LEN = 4;
const ICMP_HLEN = 8;

export {
  PARSE_OK_IPV4, PARSE_ARP, PARSE_OTHER, DROP_NAMES, DROP_COUNT, DROP_FIRST, isDrop,
} from './drop.js';

function resetDesc(d: PacketDesc): void {
  d.ethType = 0;
  d.l3Off = 0;
  d.l4Off = 0;
  d.ihl = 0;
  d.ipLen = 0;
  d.proto = 0;
  d.saddr = 0;
  d.daddr = 0;
  d.sport = 0;
  d.dport = 0;
  d.tcpFlags = 0;
  d.ttl = 0;
  d.tos = 0;
  d.df = false;
  d.isFragment = false;
  d.fwmark = 0;
  d.icmpType = 0;
  d.icmpCode = 0;
}

/**
 * Parse the frame buf[off, off+len) received on `port` into d. Returns PARSE_OK_IPV4, PARSE_ARP
 * (d.saddr = sender IP, d.daddr = target IP, d.l3Off = ARP header), PARSE_OTHER, or a DROP_* code.
 */
export function parseFrame(d: PacketDesc, buf: Uint8Array, off: number, len: number, port: number): number {
  // Multi-byte fields through a DataView (view.ts): ~28 instead of ~36 ns per TCP frame.
  const dv = frameView(buf);
  d.buf = buf;
  d.off = off;
  d.len = len;
  d.port = port;
  resetDesc(d);
  // A frame claiming more bytes than the buffer holds is treated as cut at the buffer's end.
  if (!(off >= 0) || !(len >= 0)) return DROP_TRUNC_ETH;
  const end = off + len <= buf.length ? off + len : buf.length;
  if (end - off < ETH_HLEN) return DROP_TRUNC_ETH;

  let type = dv.getUint16(off + 12);
  let l3 = off + ETH_HLEN;
  if (type === ETH_P_8021Q) {
    if (end - off < VLAN_ETH_HLEN) return DROP_TRUNC_ETH;
    type = dv.getUint16(off + 16);
    l3 = off + VLAN_ETH_HLEN;
  }
  d.ethType = type;
  d.l3Off = l3;
  const avail = end - l3;

  if (type === ETH_P_ARP) {
    if (avail < ARP_LEN) return DROP_TRUNC_ARP;
    if (!arpIsEtherIpv4(buf, l3)) return DROP_BAD_ARP;
    const sp = l3 + ARP_SPA;
    const tp = l3 + ARP_TPA;
    d.saddr = dv.getUint32(sp);
    d.daddr = dv.getUint32(tp);
    return PARSE_ARP;
  }
  if (type !== ETH_P_IP) return PARSE_OTHER;

  // ip_rcv_core()
  if (avail < IP_HLEN) return DROP_TRUNC_IP;
  const vihl = buf[l3]!;
  if ((vihl >>> 4) !== 4) return DROP_BAD_IP_VERSION;
  const ihl = (vihl & 0x0f) << 2;
  if (ihl < IP_HLEN) return DROP_BAD_IHL;
  if (ihl > avail) return DROP_TRUNC_IP;
  const ipLen = dv.getUint16(l3 + IP_TOT_LEN);
  if (ipLen > avail) return DROP_TRUNC_IP;
  if (ipLen < ihl) return DROP_BAD_IP_LEN;
  // ip_fast_csum(): the whole header including the checksum sums to 0xffff.
  let sum = dv.getUint16(l3) + dv.getUint16(l3 + 2) + dv.getUint16(l3 + 4) + dv.getUint16(l3 + 6)
    + dv.getUint16(l3 + 8) + dv.getUint16(l3 + 10) + dv.getUint16(l3 + 12) + dv.getUint16(l3 + 14)
    + dv.getUint16(l3 + 16) + dv.getUint16(l3 + 18);
  for (let o = l3 + IP_HLEN; o < l3 + ihl; o += 2) sum += dv.getUint16(o);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  if (sum !== 0xffff) return DROP_BAD_IP_CSUM;

  const frag = dv.getUint16(l3 + IP_FRAG_OFF);
  const proto = buf[l3 + IP_PROTO]!;
  d.ihl = ihl;
  d.ipLen = ipLen;
  d.proto = proto;
  d.tos = buf[l3 + IP_TOS]!;
  d.ttl = buf[l3 + IP_TTL]!;
  // Read in place, not through a helper: a u32 ≥ 2^31 is not a small integer in V8, and one
  // returned from a call that is not inlined is boxed (an allocation per packet).
  d.saddr = dv.getUint32(l3 + IP_SADDR);
  d.daddr = dv.getUint32(l3 + IP_SADDR + 4);
  d.df = (frag & IP_DF) !== 0;
  d.isFragment = (frag & (IP_MF | IP_OFFSET)) !== 0;
  const l4 = l3 + ihl;
  d.l4Off = l4;
  // Non-first fragments: no L4 header, ports stay 0 (ip_vs_fill_iph_skb() sets fragoffs).
  if ((frag & IP_OFFSET) !== 0) return OK_IPV4;

  const l4len = ipLen - ihl;
  if (proto === 6) {
    if (l4len < TCP_HLEN) return TRUNC_L4;
    const doff = (buf[l4 + 12]! >>> 4) << 2;
    // A first fragment may legitimately cut TCP options; an unfragmented segment may not.
    if (doff < TCP_HLEN || (!d.isFragment && doff > l4len)) return DROP_BAD_TCP_OFF;
    d.sport = dv.getUint16(l4);
    d.dport = dv.getUint16(l4 + 2);
    d.tcpFlags = buf[l4 + TCP_FLAGS]!;
  } else if (proto === 17) {
    if (l4len < UDP_HLEN) return TRUNC_L4;
    const ulen = dv.getUint16(l4 + UDP_LEN);
    if (!d.isFragment && (ulen < UDP_HLEN || ulen > l4len)) return DROP_BAD_UDP_LEN;
    d.sport = dv.getUint16(l4);
    d.dport = dv.getUint16(l4 + 2);
  } else if (proto === 1) {
    if (l4len < ICMP_HLEN) return TRUNC_L4;
    d.icmpType = buf[l4]!;
    d.icmpCode = buf[l4 + 1]!;
  } else if (proto === 132) {
    // SCTP common header: ports, verification tag, CRC32c (12 bytes).
    if (l4len < 12) return TRUNC_L4;
    d.sport = dv.getUint16(l4);
    d.dport = dv.getUint16(l4 + 2);
  }
  return OK_IPV4;
}
