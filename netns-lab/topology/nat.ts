// LVS-NAT (masquerading), as the seed articles draw it:
//
//   client ── router ── switch(br0) ── director ── switch(br1) ──┬── rs1 (gateway: director)
//                                      VIP / DIP                  └── rsN
//
// The real servers sit on a private network (172.16.100.0/24) whose gateway is the director's
// inside address. The director rewrites the destination VIP:port → RIP:port on the way in and the
// source RIP:port → VIP:port on the way back, so both directions pass through it.

import { buildFront } from './common.js';
import { LAB_NET, emptyNode, weightOf, type Topology, type TopologyOptions } from './types.js';

export const NAT_INSIDE = { net: '172.16.100.0/24', director: '172.16.100.1' } as const;

export function natTopology(opts: TopologyOptions): Topology {
  const { client, router, sw, director, links } = buildFront(opts);
  sw.bridges.push('br1');
  director.ifaces.push({ name: 'eth1', addrs: [`${NAT_INSIDE.director}/24`] });
  links.push({ a: { node: 'director', ifname: 'eth1' }, b: { node: 'switch', ifname: 'dir-in', ownRxThread: opts.rxThreads === true }, bridge: 'br1' });
  const nodes = [client, router, sw, director];
  const rs = [];
  for (let i = 1; i <= opts.rsCount; i++) {
    const name = `rs${i}`;
    const rip = `172.16.100.${10 + i}`;
    const n = emptyNode(opts.prefix, name, 'rs');
    n.ifaces.push({ name: 'eth0', addrs: [`${rip}/24`] });
    n.routes.push(['default', 'via', NAT_INSIDE.director]);
    nodes.push(n);
    // Replies go through the director: the real server sends wire-sized frames; it may merge
    // what it receives, and the switch port toward it may keep tx offloads.
    links.push({ a: { node: name, ifname: 'eth0', keep: { gro: true } }, b: { node: 'switch', ifname: name, keep: { tx: true } }, bridge: 'br1' });
    rs.push({ name, netns: n.netns, rip, iface: 'eth0', gateway: NAT_INSIDE.director, weight: weightOf(opts.weights, i - 1) });
  }
  const last = rs.length > 0 ? rs[rs.length - 1]! : null;
  return {
    mode: 'nat',
    prefix: opts.prefix,
    vip: LAB_NET.vip,
    clientAddr: LAB_NET.client,
    directorAddr: LAB_NET.director,
    directorIface: 'eth0',
    directorInsideIface: 'eth1',
    directorInsideAddr: NAT_INSIDE.director,
    fwdFlag: '-m',
    fwdName: 'Masq',
    nodes,
    links,
    rs,
    diagram: [
      `  client ${LAB_NET.client}`,
      `    │ 10.9.0.0/24`,
      `  router ${LAB_NET.routerOutside} | ${LAB_NET.routerFront}`,
      `    │ 10.0.0.0/24 (switch br0)`,
      `  director ${LAB_NET.director} (eth0), VIP ${LAB_NET.vip} answered by uvs | ${NAT_INSIDE.director} (eth1)`,
      `    │ ${NAT_INSIDE.net} private (switch br1), no route from outside`,
      ...rs.map((r) => `    ${r === last ? '└' : '├'}── ${r.name} ${r.rip}, gateway ${NAT_INSIDE.director} (the director)`),
    ],
    explain: [
      'NAT (masquerading, ipvsadm -m): the director rewrites the destination VIP → RIP of each packet',
      'from the client (checksums updated) and sends it into the private network. The real server',
      'answers to the client through its gateway, the director, which rewrites the source RIP → VIP',
      'on the way back. Both directions cross the director; the real servers need no VIP at all.',
    ],
  };
}
