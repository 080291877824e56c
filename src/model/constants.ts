// IPVS constants with their kernel names (include/uapi/linux/ip_vs.h), so code reads like the kernel.

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_GRE = 47;
export const IPPROTO_SCTP = 132;

// Service flags (svc->flags)
export const SVC_F_PERSISTENT = 0x0001;
export const SVC_F_HASHED = 0x0002;
export const SVC_F_ONEPACKET = 0x0004;
export const SVC_F_SCHED1 = 0x0008;
export const SVC_F_SCHED2 = 0x0010;
export const SVC_F_SCHED3 = 0x0020;
export const SVC_F_SCHED_SH_FALLBACK = SVC_F_SCHED1;
export const SVC_F_SCHED_SH_PORT = SVC_F_SCHED2;
export const SVC_F_SCHED_MH_FALLBACK = SVC_F_SCHED1;
export const SVC_F_SCHED_MH_PORT = SVC_F_SCHED2;

// Destination status flags (dest->flags)
export const DEST_F_AVAILABLE = 0x0001;
export const DEST_F_OVERLOAD = 0x0002;

// Connection flags (cp->flags)
export const CONN_F_FWD_MASK = 0x0007;
export const CONN_F_MASQ = 0x0000;
export const CONN_F_LOCALNODE = 0x0001;
export const CONN_F_TUNNEL = 0x0002;
export const CONN_F_DROUTE = 0x0003;
export const CONN_F_BYPASS = 0x0004;
export const CONN_F_SYNC = 0x0020;
export const CONN_F_HASHED = 0x0040;
export const CONN_F_NOOUTPUT = 0x0080;
export const CONN_F_INACTIVE = 0x0100;
export const CONN_F_OUT_SEQ = 0x0200;
export const CONN_F_IN_SEQ = 0x0400;
export const CONN_F_NO_CPORT = 0x0800;
export const CONN_F_TEMPLATE = 0x1000;
export const CONN_F_ONE_PACKET = 0x2000;

/** ipvsadm's `-p` with no value (IPVS_SVC_PERSISTENT_TIMEOUT in libipvs.h): 6 * 60 s, not the man page's 300. */
export const SVC_PERSISTENT_TIMEOUT_S = 360;

/** Default ipvsadm timeouts reported by `-L --timeout`: tcp tcpfin udp. */
export const DEFAULT_TIMEOUT_TCP_S = 900;
export const DEFAULT_TIMEOUT_TCPFIN_S = 120;
export const DEFAULT_TIMEOUT_UDP_S = 300;

/** Connection hash table size reported by `ipvsadm -L` as `(size=4096)`. */
export const CONN_TAB_SIZE = 4096;

export type FwdMethod = 'Masq' | 'Local' | 'Tunnel' | 'Route' | 'Bypass';

/** conn_flags & FWD_MASK → the word ipvsadm prints. */
export const FWD_NAMES: readonly FwdMethod[] = ['Masq', 'Local', 'Tunnel', 'Route', 'Bypass'];

export function fwdFlag(name: FwdMethod): number {
  return FWD_NAMES.indexOf(name);
}
