// A lab topology as plain data: namespaces (nodes), their interfaces, addresses, routes and
// sysctls, the veth links between them and the bridges that play the switch. One file per
// forwarding mode builds one of these (dr.ts, nat.ts, tun.ts); netns-lab/lab.ts applies it.
// Nothing here is ever linked to the root namespace: every veth has both ends inside lab namespaces.

export type LabMode = 'dr' | 'nat' | 'tun';
export const LAB_MODES: readonly LabMode[] = ['dr', 'nat', 'tun'];

export type NodeRole = 'client' | 'router' | 'switch' | 'director' | 'rs';

export interface IfaceSpec {
  name: string;
  /** CIDR addresses, e.g. "10.0.0.11/24". */
  addrs: string[];
  mtu?: number;
}

export interface NodeSpec {
  /** Short node name used by `uvs lab exec NODE`: client, router, switch, director, rs1... */
  name: string;
  role: NodeRole;
  netns: string;
  ifaces: IfaceSpec[];
  /** Arguments to `ip route add`, e.g. ["default", "via", "10.0.0.1"]. */
  routes: string[][];
  /** sysctl key → value, applied after the interfaces exist. */
  sysctls: [string, string][];
  /** Bridges living in this node (the switch). */
  bridges: string[];
  /** Addresses bound to `lo` (the VIP on DR/TUN real servers), CIDR. */
  loAddrs: string[];
}

/**
 * Which veth offloads an interface keeps. The director reads raw frames, so an interface whose
 * transmitted frames can reach it must send wire-sized frames with full checksums (tx checksum,
 * TSO and GSO off), and one whose received frames are forwarded toward it must not merge them
 * (GRO off). Everything else keeps the offloads: replies that go around the director are fast.
 */
export interface KeepOffloads {
  tx?: boolean;
  gro?: boolean;
}

export interface LinkEnd {
  node: string;
  ifname: string;
  /** Default: all offloads off. */
  keep?: KeepOffloads;
  /**
   * Receive in the interface's own kernel thread (threaded NAPI; on veth that needs GRO on). A veth
   * otherwise runs the receiving side's whole stack inside the sender's transmit call, so one
   * director thread would pay for every real server's and client's TCP work; a NIC on another
   * machine does not. Only on ends whose received frames never reach the director.
   */
  ownRxThread?: boolean;
}

export interface LinkSpec {
  a: LinkEnd;
  b: LinkEnd;
  /** When set, end b is enslaved to this bridge (b must be the switch node). */
  bridge?: string;
}

export interface RealServerInfo {
  name: string;
  netns: string;
  /** RIP, the address the director forwards to. */
  rip: string;
  iface: string;
  /** The RS's default gateway (router in DR/TUN, the director's inside address in NAT). */
  gateway: string;
  weight: number;
}

export interface Topology {
  mode: LabMode;
  /** Namespace prefix, e.g. "uvs-lab-". */
  prefix: string;
  vip: string;
  clientAddr: string;
  /** The director's own address on the client-facing LAN (DIP in DR/TUN, outside address in NAT). */
  directorAddr: string;
  directorIface: string;
  /** NAT only: the interface toward the real servers, and its address (the RS gateway). */
  directorInsideIface?: string;
  directorInsideAddr?: string;
  /** ipvsadm forwarding flag for this mode: -g (Route), -m (Masq), -i (Tunnel). */
  fwdFlag: '-g' | '-m' | '-i';
  fwdName: 'Route' | 'Masq' | 'Tunnel';
  nodes: NodeSpec[];
  links: LinkSpec[];
  rs: RealServerInfo[];
  /** ASCII drawing of the topology with addresses, for `lab up` and the demo. */
  diagram: string[];
  /** What this mode does to a packet, in a few lines for a student. */
  explain: string[];
}

export interface TopologyOptions {
  mode: LabMode;
  prefix: string;
  rsCount: number;
  weights: number[];
  /** The switch ports toward the director receive in their own thread (LinkEnd.ownRxThread). */
  rxThreads?: boolean;
}

/** The addresses every mode shares (the client side and the VIP), as the seed articles draw them. */
export const LAB_NET = {
  vip: '10.0.0.100',
  clientNet: '10.9.0.0/24',
  client: '10.9.0.2',
  routerOutside: '10.9.0.1',
  frontNet: '10.0.0.0/24',
  routerFront: '10.0.0.1',
  director: '10.0.0.2',
} as const;

/** Lab real servers may number 1..MAX_RS. */
export const MAX_RS = 16;

export function emptyNode(prefix: string, name: string, role: NodeRole): NodeSpec {
  return { name, role, netns: prefix + name, ifaces: [], routes: [], sysctls: [], bridges: [], loAddrs: [] };
}

/** Real-server sysctls for DR/TUN, exactly the seed articles' RS script. */
export function rsArpSysctls(): [string, string][] {
  return [
    ['net.ipv4.conf.all.arp_ignore', '1'],
    ['net.ipv4.conf.lo.arp_ignore', '1'],
    ['net.ipv4.conf.all.arp_announce', '2'],
    ['net.ipv4.conf.lo.arp_announce', '2'],
  ];
}

export function weightOf(weights: number[], i: number): number {
  return weights[i] ?? 1;
}
