// Next hops from the director's routes (Engine.setRoutes): an off-link real server is reached
// through its route's gateway (frame to the gateway's MAC, on the route's port), an on-link one
// directly; a dest without a route is still scheduled but its frames drop as no_route, with one
// warning line; the next hop follows route changes. Without routes every dest is its own next hop.

import { describe, expect, it } from 'vitest';
import { ENGINE_DROP_NAMES } from '../../src/engine/engine.js';
import type { Route } from '../../src/engine/next-hop.js';
import { StaticNeighbours } from '../../src/engine/static-neighbours.js';
import { eth, ip, mac } from '../helpers/frame-builder.js';
import { CLIENT, DIP, DIRECTOR_MAC, RIP1, RS1_MAC, Rig, VIP, dest, expectFrame, fromClient, service, table } from './harness.js';

const GW_A = '10.0.0.1';
const GW_B = '10.0.0.254';
const GW_A_MAC = '02:00:00:00:00:0a';
const GW_B_MAC = '02:00:00:00:00:0b';
const REMOTE = '10.0.11.11';

const route = (dst: string, len: number, gateway: string | null, port: number, metric = 0): Route =>
  ({ dst: ip(dst), len, gateway: gateway ? ip(gateway) : 0, port, metric, reject: false, dev: `p${port}` });
const LAN = route('10.0.0.0', 24, null, 0);
const INSIDE = route('10.1.0.0', 24, null, 1);

function rig(dests: Parameters<typeof service>[0]['dests'], routes: Route[] | null): Rig {
  const neighbours = new StaticNeighbours([[ip(GW_A), mac(GW_A_MAC)], [ip(GW_B), mac(GW_B_MAC)], [ip(RIP1), mac(RS1_MAC)], [ip('10.1.0.11'), mac('02:00:00:00:01:11')]]);
  const r = new Rig(table([service({ id: 9100, dests })]), { neighbours, routes, natPort: 1 });
  return r;
}

const tunIn = (sport: number, flags = 'S') =>
  eth({ src: '02:00:00:00:00:fe', dst: DIRECTOR_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 64, id: 1, df: true }).tcp({ sport, dport: 80, flags });
const tunOut = (gwMac: string, rip: string, sport: number) =>
  eth({ src: DIRECTOR_MAC, dst: gwMac }).ipv4({ src: DIP, dst: rip, ttl: 63, id: 0, df: true })
    .ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1, df: true }).tcp({ sport, dport: 80, flags: 'S' });

describe('engine: next hops from routes', () => {
  it('an off-link TUN real server: the frame goes to the default gateway\'s MAC, the outer header to the RIP', () => {
    const r = rig([dest(REMOTE, 80, { fwd: 'Tunnel' })], [LAN, route('0.0.0.0', 0, GW_A, 0)]);
    const s = r.send(tunIn(2));
    expect(s).toMatchObject({ verdict: 'tx', port: 0, fwd: 'Tunnel' });
    expectFrame(s.out, tunOut(GW_A_MAC, REMOTE, 2));
  });

  it('exact frame: DR to an on-link dest is unchanged by routes', () => {
    const r = rig([dest(RIP1, 80)], [LAN, route('0.0.0.0', 0, GW_A, 0)]);
    const s = r.send(fromClient().tcp({ sport: 3, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ verdict: 'tx', port: 0 });
    expectFrame(s.out, eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1 }).tcp({ sport: 3, dport: 80, flags: 'S' }));
  });

  it('the most specific route wins, and a route change moves the next hop', () => {
    const r = rig([dest(REMOTE, 80, { fwd: 'Tunnel' })], [LAN, route('0.0.0.0', 0, GW_A, 0), route('10.0.11.0', 24, GW_B, 0)]);
    const s1 = r.send(tunIn(4));
    expectFrame(s1.out, tunOut(GW_B_MAC, REMOTE, 4));
    r.engine.setRoutes([LAN, route('0.0.0.0', 0, GW_A, 0)]);
    const s2 = r.send(tunIn(4, 'A'));
    expect(s2).toMatchObject({ verdict: 'tx', conn: 'hit' });
    expect(s2.out.subarray(0, 6)).toEqual(mac(GW_A_MAC));
  });

  it('NAT: the port comes from the route (inside subnet on port 1)', () => {
    const r = rig([dest('10.1.0.11', 8080, { fwd: 'Masq' })], [LAN, INSIDE]);
    const s = r.send(fromClient().tcp({ sport: 5, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ verdict: 'tx', port: 1, fwd: 'Masq' });
    expect(s.out.subarray(0, 6)).toEqual(mac('02:00:00:00:01:11'));
  });

  it('no route: the dest is added and scheduled, its frames drop as no_route, one warning line', () => {
    const remote = dest(REMOTE, 80, { fwd: 'Tunnel' });
    const r = rig([remote], [LAN]);
    const e = r.engine;
    expect(e.takeRouteWarnings()).toEqual(['dest 10.0.11.11:80: no route; its frames are dropped (no_route) until a route appears']);
    const s = r.send(fromClient().tcp({ sport: 6, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ verdict: 'drop', reason: 'no_route', conn: 'new', dest: '10.0.11.11:80' });
    expect(e.totalStats()).toMatchObject({ conns: 1, inPkts: 1 });
    expect(e.stats.drops[ENGINE_DROP_NAMES.indexOf('no_route')]).toBe(1);
    // The same table again, or the same routes: no new warning.
    expect(e.applyTable(table([service({ id: 9100, dests: [remote] })]))).toEqual([]);
    e.setRoutes([LAN]);
    expect(e.takeRouteWarnings()).toEqual([]);
    // A route appears: frames flow; when it goes again, one more warning.
    e.setRoutes([LAN, route('0.0.0.0', 0, GW_A, 0)]);
    expect(r.send(fromClient().tcp({ sport: 6, dport: 80, flags: 'A' }))).toMatchObject({ verdict: 'tx', conn: 'hit' });
    e.setRoutes([LAN, { ...route('10.0.11.0', 24, null, 0), reject: true, port: -1, dev: 'unreachable' }]);
    expect(e.takeRouteWarnings()).toEqual(['dest 10.0.11.11:80: reject route; its frames are dropped (no_route) until a route appears']);
  });

  it('without routes (replay): every dest is its own next hop, NAT on natPort', () => {
    const r = rig([dest('10.1.0.11', 8080, { fwd: 'Masq' })], null);
    expect(r.send(fromClient().tcp({ sport: 7, dport: 80, flags: 'S' }))).toMatchObject({ verdict: 'tx', port: 1 });
    expect(r.engine.takeRouteWarnings()).toEqual([]);
  });
});
