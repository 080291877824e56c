// LVS-TUN (IP-in-IP tunnelling), as the seed articles draw it:
//
//   client ── router ── switch ── director (VIP answered by uvs)
//               ├── 10.0.11.0/24 ── rs1 (VIP on lo, decapsulates IP-in-IP)
//               └── 10.0.1N.0/24 ── rsN
//
// The real servers live on other subnets, reached through the router. The director wraps the
// client's packet (client → VIP, untouched) in an outer IPv4 header DIP → RIP, protocol 4. The
// real server strips the outer header (kernel ipip device when the kernel has one, otherwise the
// lab's userspace decapsulator netns-lab/ipip-decap.ts feeding a TUN device), delivers the inner
// packet to the VIP on lo, and replies straight to the client through the router.

import { LAB_NET, emptyNode, rsArpSysctls, weightOf, type Topology, type TopologyOptions } from './types.js';
import { buildFront } from './common.js';

/** Name of the decapsulating device on each TUN real server (userspace TUN or kernel `tunl0`). */
export const TUN_DECAP_DEV = 'ipip0';
/** The encapsulated packet must fit the 1500-byte path: inner MTU 1480, TCP MSS 1440. */
export const TUN_INNER_MTU = 1480;
export const TUN_ADVMSS = 1440;

export function tunTopology(opts: TopologyOptions): Topology {
  const { client, router, sw, director, links } = buildFront(opts);
  // No proxy ARP: the director reaches the real servers' subnets through its default route
  // (the router, buildFront()); uvs run reads that route and resolves the router's MAC.
  const nodes = [client, router, sw, director];
  const rs = [];
  for (let i = 1; i <= opts.rsCount; i++) {
    const name = `rs${i}`;
    const net = `10.0.${10 + i}`;
    const rip = `${net}.${10 + i}`;
    const gw = `${net}.1`;
    router.ifaces.push({ name, addrs: [`${gw}/24`] });
    const n = emptyNode(opts.prefix, name, 'rs');
    n.ifaces.push({ name: 'eth0', addrs: [`${rip}/24`] });
    n.loAddrs.push(`${LAB_NET.vip}/32`);
    // advmss: the client's segments, wrapped in 20 more bytes, must still fit the 1500-byte path.
    n.routes.push(['default', 'via', gw, 'advmss', String(TUN_ADVMSS)]);
    n.sysctls.push(...rsArpSysctls());
    // The inner packet (source = client) enters on the tunnel device while the route back to the
    // client is eth0: strict reverse-path filtering would drop it.
    n.sysctls.push(['net.ipv4.conf.all.rp_filter', '0'], ['net.ipv4.conf.default.rp_filter', '0'], ['net.ipv4.conf.eth0.rp_filter', '0']);
    nodes.push(n);
    // Replies leave through the router, never through the director: the real server keeps its
    // offloads (but not GRO: merged IP-in-IP packets would reach the decapsulator oversized).
    links.push({ a: { node: name, ifname: 'eth0', keep: { tx: true } }, b: { node: 'router', ifname: name, keep: { tx: true, gro: true } } });
    rs.push({ name, netns: n.netns, rip, iface: 'eth0', gateway: gw, weight: weightOf(opts.weights, i - 1) });
  }
  const last = rs.length > 0 ? rs[rs.length - 1]! : null;
  return {
    mode: 'tun',
    prefix: opts.prefix,
    vip: LAB_NET.vip,
    clientAddr: LAB_NET.client,
    directorAddr: LAB_NET.director,
    directorIface: 'eth0',
    fwdFlag: '-i',
    fwdName: 'Tunnel',
    nodes,
    links,
    rs,
    diagram: [
      `  client ${LAB_NET.client}`,
      `    │ 10.9.0.0/24`,
      `  router ${LAB_NET.routerOutside} | ${LAB_NET.routerFront}${rs.map((r) => ' | ' + r.gateway).join('')}`,
      `    ├── 10.0.0.0/24 (switch br0) ── director ${LAB_NET.director}, VIP ${LAB_NET.vip} answered by uvs`,
      ...rs.map((r) => `    ${r === last ? '└' : '├'}── ${r.gateway.replace(/\.1$/, '.0/24')} ── ${r.name} ${r.rip}, VIP on lo, decapsulates IP-in-IP`),
    ],
    explain: [
      'TUN (IP-in-IP, ipvsadm -i): the director keeps the client\'s packet (client → VIP) intact and',
      `wraps it in a new IPv4 header ${LAB_NET.director} → RIP, protocol 4. The router carries it to the`,
      'real server\'s own subnet; the real server strips the outer header, finds the VIP on its lo and',
      'answers the client directly through the router, source VIP. Real servers can be anywhere routable.',
    ],
  };
}
