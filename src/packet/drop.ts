// Why a frame was dropped: one small integer per reason, with a parallel array of names so the
// engine counts drops in a typed array indexed by the code and reports them by name.
// parseFrame() returns PARSE_OK_IPV4 / PARSE_ARP / PARSE_OTHER (codes 0..2) or a drop code
// (≥ DROP_FIRST); transmitters return the new frame length (> 0) or minus a drop code.

export const PARSE_OK_IPV4 = 0;
export const PARSE_ARP = 1;
/** Not IPv4 or ARP (IPv6, LLDP, a second VLAN tag, ...): not IPVS traffic, pass it on. */
export const PARSE_OTHER = 2;

// --- parse
export const DROP_FIRST = 3;
export const DROP_TRUNC_ETH = 3;
export const DROP_TRUNC_IP = 4;
export const DROP_BAD_IP_VERSION = 5;
export const DROP_BAD_IHL = 6;
export const DROP_BAD_IP_LEN = 7;
export const DROP_BAD_IP_CSUM = 8;
export const DROP_TRUNC_L4 = 9;
export const DROP_BAD_TCP_OFF = 10;
export const DROP_BAD_UDP_LEN = 11;
export const DROP_TRUNC_ARP = 12;
export const DROP_BAD_ARP = 13;
// --- ICMP errors (§5.6)
export const DROP_TRUNC_ICMP = 14;
export const DROP_BAD_ICMP_CSUM = 15;
export const DROP_BAD_ICMP_INNER = 16;
export const DROP_ICMP_FRAGMENT = 17;
// --- transmitters (§5)
/** TTL ≤ 1: the caller sends ICMP Time Exceeded (decrement_ttl()). */
export const DROP_TTL_EXPIRED = 18;
/** DF set and longer than the MTU: the caller sends ICMP Fragmentation Needed (§5.3/§5.4). */
export const DROP_FRAG_NEEDED = 19;
/** Tunnel MTU below 68 (mtu less than 68 in __ip_vs_get_out_rt()). */
export const DROP_TUN_MTU = 20;
/** Fewer than 20 bytes of headroom before the frame for the tunnel header. */
export const DROP_NO_HEADROOM = 21;
/** The encapsulated packet would exceed 65535 bytes. */
export const DROP_TOO_BIG = 22;
/** NAT of a protocol without ports (only TCP and UDP are rewritten). */
export const DROP_NAT_PROTO = 23;
/** Not an ARP request, so no reply is built. */
export const DROP_ARP_NOT_REQUEST = 24;
/** Output buffer too small for the frame being built. */
export const DROP_NO_ROOM = 25;

export const DROP_COUNT = 26;

/** DROP_NAMES[code] is the name reported in counters and `reason` fields. */
export const DROP_NAMES: readonly string[] = [
  'ok_ipv4', 'arp', 'other',
  'trunc_eth', 'trunc_ip', 'bad_ip_version', 'bad_ihl', 'bad_ip_len', 'bad_ip_csum', 'trunc_l4',
  'bad_tcp_off', 'bad_udp_len', 'trunc_arp', 'bad_arp',
  'trunc_icmp', 'bad_icmp_csum', 'bad_icmp_inner', 'icmp_fragment',
  'ttl_expired', 'frag_needed', 'tun_mtu', 'no_headroom', 'too_big', 'nat_proto', 'arp_not_request', 'no_room',
];

export function isDrop(code: number): boolean {
  return code >= DROP_FIRST;
}
