// The control plane's model of the virtual server table: plain, serialisable data.
// ipvsadm commands, `-R` files, keepalived.conf and health checks all change it (through
// src/control), and the datapath receives it whole and applies the difference between batches.
// Destinations are kept newest-first, as the kernel's list is, because that order breaks every
// scheduler tie.

import type { FwdMethod } from './constants.js';

export type Protocol = 'tcp' | 'udp' | 'sctp';
export type AddressFamily = 4 | 6;
export type TunnelType = 'ipip' | 'gue' | 'gre';

export interface DestConfig {
  /** Stable identity for counters and the datapath; assigned by the model, kept across edits. */
  id: number;
  af: AddressFamily;
  addr: string;
  port: number;
  weight: number;
  fwd: FwdMethod;
  uThreshold: number;
  lThreshold: number;
  tunType: TunnelType;
  tunPort: number;
  /** 'nocsum' | 'csum' | 'remcsum' as ipvsadm's --tun-nocsum/--tun-csum/--tun-remcsum */
  tunFlags: 'nocsum' | 'csum' | 'remcsum';
}

export interface ServiceConfig {
  id: number;
  af: AddressFamily;
  /** For fwmark services ipvsadm sends TCP; the protocol is then ignored. */
  protocol: Protocol;
  /** Virtual address; '' for fwmark services. */
  addr: string;
  port: number;
  /** Non-zero for a firewall-mark service. */
  fwmark: number;
  sched: string;
  /** SVC_F_* bits: PERSISTENT, ONEPACKET, SCHED1..3. */
  flags: number;
  /** Persistence timeout in seconds (meaningful with SVC_F_PERSISTENT). */
  timeoutS: number;
  /** IPv4: mask as dotted quad text ('255.255.255.255'); IPv6: prefix length as text ('128'). */
  netmask: string;
  /** Persistence engine name ('' or 'sip'). */
  pe: string;
  /** Newest first. */
  dests: DestConfig[];
}

export interface Timeouts {
  tcpS: number;
  tcpFinS: number;
  udpS: number;
}

/** One iptables-save mangle rule that sets a firewall mark (see src/control/marks). */
export interface MarkRule {
  /** Where the rule came from, for error messages: 'file:line'. */
  origin: string;
  srcAddr: number;
  srcMask: number;
  srcNegate: boolean;
  dstAddr: number;
  dstMask: number;
  dstNegate: boolean;
  /** 0 = any. */
  protocol: number;
  protocolNegate: boolean;
  /** Inclusive port ranges; empty = any. */
  srcPorts: Array<[number, number]>;
  srcPortsNegate: boolean;
  dstPorts: Array<[number, number]>;
  dstPortsNegate: boolean;
  inIface: string;
  inIfaceNegate: boolean;
  /** --set-xmark value/mask: mark = (mark & ~mask) ^ value. --set-mark V/M is (mark & ~M) | V. */
  value: number;
  mask: number;
  /** 'xmark' or 'mark' (the OR form). */
  op: 'xmark' | 'mark';
}

export interface VirtualServerTable {
  services: ServiceConfig[];
  timeouts: Timeouts;
  marks: MarkRule[];
}

export function emptyTable(): VirtualServerTable {
  return { services: [], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 }, marks: [] };
}

export function serviceLabel(svc: Pick<ServiceConfig, 'fwmark' | 'protocol' | 'addr' | 'port' | 'af'>): string {
  if (svc.fwmark) return `FWM ${svc.fwmark}`;
  const host = svc.af === 6 ? `[${svc.addr}]` : svc.addr;
  return `${svc.protocol.toUpperCase()} ${host}:${svc.port}`;
}
