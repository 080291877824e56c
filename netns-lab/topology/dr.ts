// LVS-DR (direct routing), as the seed articles draw it:
//
//   client ── router ── switch ──┬── director (uvs, VIP answered by uvs itself)
//                                ├── rs1 (VIP on lo)
//                                └── rsN (VIP on lo)
//
// The director and the real servers share one LAN. The director rewrites only the destination MAC
// of a client's frame to the chosen real server's; the IP packet (client → VIP) is untouched. Each
// real server owns the VIP on `lo` (arp_ignore=1, arp_announce=2 so it never answers ARP for it)
// and replies straight to the router, source VIP, without passing the director again.

import { buildFront } from './common.js';
import { LAB_NET, emptyNode, rsArpSysctls, weightOf, type Topology, type TopologyOptions } from './types.js';

export function drTopology(opts: TopologyOptions): Topology {
  const { client, router, sw, director, links } = buildFront(opts);
  const nodes = [client, router, sw, director];
  const rs = [];
  for (let i = 1; i <= opts.rsCount; i++) {
    const name = `rs${i}`;
    const rip = `10.0.0.${10 + i}`;
    const n = emptyNode(opts.prefix, name, 'rs');
    n.ifaces.push({ name: 'eth0', addrs: [`${rip}/24`] });
    n.loAddrs.push(`${LAB_NET.vip}/32`);
    n.routes.push(['default', 'via', LAB_NET.routerFront]);
    n.sysctls.push(...rsArpSysctls());
    nodes.push(n);
    // Replies leave through the router, never through the director: offloads stay on.
    links.push({ a: { node: name, ifname: 'eth0', keep: { tx: true, gro: true } }, b: { node: 'switch', ifname: name, keep: { tx: true, gro: true } }, bridge: 'br0' });
    rs.push({ name, netns: n.netns, rip, iface: 'eth0', gateway: LAB_NET.routerFront, weight: weightOf(opts.weights, i - 1) });
  }
  const last = rs.length > 0 ? rs[rs.length - 1]! : null;
  return {
    mode: 'dr',
    prefix: opts.prefix,
    vip: LAB_NET.vip,
    clientAddr: LAB_NET.client,
    directorAddr: LAB_NET.director,
    directorIface: 'eth0',
    fwdFlag: '-g',
    fwdName: 'Route',
    nodes,
    links,
    rs,
    diagram: [
      `  client ${LAB_NET.client}`,
      `    │ 10.9.0.0/24`,
      `  router ${LAB_NET.routerOutside} | ${LAB_NET.routerFront}`,
      `    │ 10.0.0.0/24 (switch: bridge br0 in its own namespace)`,
      `    ├── director ${LAB_NET.director}, VIP ${LAB_NET.vip} answered by uvs (ARP included)`,
      ...rs.map((r) => `    ${r === last ? '└' : '├'}── ${r.name} ${r.rip}, VIP ${LAB_NET.vip} on lo, replies via router`),
    ],
    explain: [
      'DR (direct routing, ipvsadm -g): the director receives the client\'s frame for the VIP and',
      'changes only the Ethernet destination MAC to the chosen real server\'s. The IP packet keeps',
      'client → VIP, so the real server must own the VIP (on lo, with arp_ignore=1/arp_announce=2 so',
      'it never answers ARP for it). The reply goes from the real server straight to the router,',
      'source VIP: the director sees only the client → server half of each connection.',
    ],
  };
}
