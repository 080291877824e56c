// NAT ("Masq", ipvsadm -m), as ip_vs_nat_xmit() with tcp/udp_dnat_handler() inbound and
// handle_response() with tcp/udp_snat_handler() outbound (spec §5.1):
//   in  (client → real server): daddr := RIP, dport := conn dport
//   out (real server → client): saddr := VIP, sport := vport
// Checksums are updated incrementally (RFC 1624) rather than recomputed: the IPv4 header checksum
// for the address and TTL words, the TCP/UDP checksum for the pseudo-header address and the port
// in one fold. A UDP checksum of 0 ("none") stays 0; a result of 0 is stored as 0xffff.
// Fragments: a non-first fragment has no L4 header, only its address changes; the first fragment
// carries the datagram's L4 checksum, so its update covers the whole datagram.
// TTL and MTU as for DR (decrement_ttl() then ensure_mtu_is_adequate(); the frame is unchanged on
// those drops). Addresses may be passed as u32 or as int32 bit patterns (`addr | 0`, a small
// integer in V8, so a caller that is not inlined does not box it). The real server uses the director as its gateway, so the outbound direction is a
// forwarded packet and has its TTL decremented as well (ip_forward()).

import { csumReplace3 } from '../packet/checksum.js';
import { frameView } from '../packet/view.js';
import { DROP_FRAG_NEEDED, DROP_NAT_PROTO, DROP_TTL_EXPIRED } from '../packet/drop.js';
import { writeEthMacs } from '../packet/ethernet.js';
import type { PacketDesc } from '../packet/packet-desc.js';

// Module-local copies of the header offsets (ipv4.ts, tcp.ts, udp.ts): V8 checks each use of an
// imported binding for the temporal dead zone, a measurable cost per packet (see parse.ts).
const IP_TTL = 8;
const IP_CSUM = 10;
const IP_SADDR = 12;
const IP_DADDR = 16;
const IP_FRAG_OFF = 6;
const IP_OFFSET = 0x1fff;
const TCP_CSUM = 16;
const UDP_CSUM = 6;
const CSUM_MANGLED_0 = 0xffff;

function natRewrite(
  d: PacketDesc, outbound: boolean, addr: number, port: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number, mtu: number,
): number {
  const proto = d.proto;
  if (proto !== 6 && proto !== 17) return -DROP_NAT_PROTO;
  if (d.ttl <= 1) return -DROP_TTL_EXPIRED;
  if (d.df && d.ipLen > mtu) return -DROP_FRAG_NEEDED;

  const b = d.buf;
  const dv = frameView(b);
  const l3 = d.l3Off;
  const ao = l3 + (outbound ? IP_SADDR : IP_DADDR);
  // Addresses as 16-bit halves: small integers only, so no call boxes a number (checksum.ts).
  const oHi = dv.getUint16(ao);
  const oLo = dv.getUint16(ao + 2);
  const nHi = addr >>> 16;
  const nLo = addr & 0xffff;
  // IPv4 header: TTL word (ttl<<8 | proto) and the address, one RFC 1624 update.
  const ttlWord = dv.getUint16(l3 + IP_TTL);
  dv.setUint16(l3 + IP_CSUM, csumReplace3(dv.getUint16(l3 + IP_CSUM), oHi, nHi, oLo, nLo, ttlWord, ttlWord - 0x100));
  b[l3 + IP_TTL] = d.ttl - 1;
  dv.setUint16(ao, nHi);
  dv.setUint16(ao + 2, nLo);
  d.ttl -= 1;

  if ((dv.getUint16(l3 + IP_FRAG_OFF) & IP_OFFSET) === 0) {
    const l4 = d.l4Off;
    const portOff = l4 + (outbound ? 0 : 2);
    const oldPort = dv.getUint16(portOff);
    dv.setUint16(portOff, port);
    if (proto === 6) {
      // as tcp_fast_csum_update()
      dv.setUint16(l4 + TCP_CSUM, csumReplace3(dv.getUint16(l4 + TCP_CSUM), oHi, nHi, oLo, nLo, oldPort, port));
    } else {
      // as udp_fast_csum_update(): 0 means no checksum and stays 0
      const c = dv.getUint16(l4 + UDP_CSUM);
      if (c !== 0) {
        const n = csumReplace3(c, oHi, nHi, oLo, nLo, oldPort, port);
        dv.setUint16(l4 + UDP_CSUM, n === 0 ? CSUM_MANGLED_0 : n);
      }
    }
    if (outbound) d.sport = port;
    else d.dport = port;
  }
  if (outbound) d.saddr = addr >>> 0;
  else d.daddr = addr >>> 0;
  writeEthMacs(b, d.off, srcMac, srcMacOff, dstMac, dstMacOff);
  return d.len;
}

/** Client → real server: daddr := rip, dport := rport. Returns the frame length or minus a drop code. */
export function xmitNatIn(
  d: PacketDesc, rip: number, rport: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number, mtu: number,
): number {
  return natRewrite(d, false, rip, rport, srcMac, srcMacOff, dstMac, dstMacOff, mtu);
}

/** Real server → client: saddr := vip, sport := vport. Returns the frame length or minus a drop code. */
export function xmitNatOut(
  d: PacketDesc, vip: number, vport: number,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number, mtu: number,
): number {
  return natRewrite(d, true, vip, vport, srcMac, srcMacOff, dstMac, dstMacOff, mtu);
}
