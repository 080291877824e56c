// The part every mode shares: a client behind a router, and the router's front LAN (a bridge in
// the switch namespace) where the director sits. Mode files add the real servers.

import { LAB_NET, emptyNode, type LinkSpec, type NodeSpec, type TopologyOptions } from './types.js';

export interface FrontParts {
  client: NodeSpec;
  router: NodeSpec;
  sw: NodeSpec;
  director: NodeSpec;
  links: LinkSpec[];
}

export function buildFront(opts: TopologyOptions): FrontParts {
  const p = opts.prefix;
  const client = emptyNode(p, 'client', 'client');
  client.ifaces.push({ name: 'eth0', addrs: [`${LAB_NET.client}/24`] });
  client.routes.push(['default', 'via', LAB_NET.routerOutside]);
  // The client is a load generator: with one connection per request (wrk -H 'Connection: close')
  // the default 28k ports sit in TIME_WAIT after a few seconds and every path then measures port
  // exhaustion (≈ 500 conns/s), not the balancer. Wider range, and TIME_WAIT ports reused.
  client.sysctls.push(['net.ipv4.ip_local_port_range', '1024 65535'], ['net.ipv4.tcp_tw_reuse', '1']);

  const router = emptyNode(p, 'router', 'router');
  router.ifaces.push({ name: 'eth0', addrs: [`${LAB_NET.routerOutside}/24`] });
  router.ifaces.push({ name: 'eth1', addrs: [`${LAB_NET.routerFront}/24`] });
  router.sysctls.push(['net.ipv4.ip_forward', '1']);
  // Replies from the VIP may arrive on any router port (TUN: from the real servers' subnets).
  router.sysctls.push(['net.ipv4.conf.all.rp_filter', '0'], ['net.ipv4.conf.default.rp_filter', '0']);

  const sw = emptyNode(p, 'switch', 'switch');
  sw.bridges.push('br0');

  const director = emptyNode(p, 'director', 'director');
  director.ifaces.push({ name: 'eth0', addrs: [`${LAB_NET.director}/24`] });
  director.routes.push(['default', 'via', LAB_NET.routerFront]);
  // uvs forwards VIP traffic itself from raw frames; the director's kernel must not route it too.
  director.sysctls.push(['net.ipv4.ip_forward', '0']);

  // Offloads (see KeepOffloads): the client's frames and the router's toward the switch reach the
  // director; what the router receives from the client and the switch from the router is
  // forwarded toward it. Replies toward the client keep their offloads.
  const tunnel = opts.mode === 'tun';
  const links: LinkSpec[] = [
    { a: { node: 'client', ifname: 'eth0', keep: { gro: true } }, b: { node: 'router', ifname: 'eth0', keep: { tx: true } } },
    // TUN: the router receives the director's IP-in-IP frames on eth1 and forwards them to the
    // real servers' decapsulator; GRO would merge them into one oversized tunnel packet.
    { a: { node: 'router', ifname: 'eth1', keep: { gro: !tunnel } }, b: { node: 'switch', ifname: 'router', keep: { tx: true } }, bridge: 'br0' },
    { a: { node: 'director', ifname: 'eth0' }, b: { node: 'switch', ifname: 'director', ownRxThread: opts.rxThreads === true && !tunnel }, bridge: 'br0' },
  ];
  return { client, router, sw, director, links };
}
