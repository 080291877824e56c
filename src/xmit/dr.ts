// Direct routing ("Route", ipvsadm -g), as ip_vs_dr_xmit(): the IP packet is left as it is except
// for the TTL decrement and its incremental header checksum update; only the Ethernet header is
// rewritten, to the real server's MAC (the RIP resolved as the next hop), from ours. The
// destination address stays the VIP, which the real server accepts locally.
//
// Before touching the frame, the checks of __ip_vs_get_out_rt() for a non-local route, in the
// kernel's order: decrement_ttl() (TTL ≤ 1 → the caller sends ICMP Time Exceeded), then
// ensure_mtu_is_adequate() (DF and longer than the route MTU → the caller sends ICMP
// Fragmentation Needed with `mtu`). On those drops the frame is unchanged, so the caller can
// quote it. DIFF: the kernel quotes the packet after its TTL decrement; uvs quotes it as received.

import { DROP_FRAG_NEEDED, DROP_TTL_EXPIRED } from '../packet/drop.js';
import { writeEthMacs } from '../packet/ethernet.js';
import { ipDecreaseTtl } from '../packet/ipv4.js';
import type { PacketDesc } from '../packet/packet-desc.js';

/**
 * Send `d` to the real server at dstMac. `mtu` is the egress IP MTU. Returns the frame length or
 * -DROP_TTL_EXPIRED / -DROP_FRAG_NEEDED. No allocation.
 */
export function xmitRoute(
  d: PacketDesc,
  srcMac: Uint8Array, srcMacOff: number, dstMac: Uint8Array, dstMacOff: number,
  mtu: number,
): number {
  // decrement_ttl()
  if (d.ttl <= 1) return -DROP_TTL_EXPIRED;
  // ensure_mtu_is_adequate(): IPv4 DF set and longer than the route MTU
  if (d.df && d.ipLen > mtu) return -DROP_FRAG_NEEDED;
  ipDecreaseTtl(d.buf, d.l3Off);
  d.ttl -= 1;
  writeEthMacs(d.buf, d.off, srcMac, srcMacOff, dstMac, dstMacOff);
  return d.len;
}
