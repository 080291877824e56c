// The director's routes as uvs run reads them (`ip -j -4 route` / `ip -j -4 addr` JSON → Route[])
// and the next-hop choice over them (longest prefix, then metric; gateway or on-link; reject
// routes and interfaces uvs does not drive mean no route).

import { describe, expect, it } from 'vitest';
import { parseRoutes, readRoutes } from '../../src/daemon/routes.js';
import { nextHopFor, noRouteReason, routeFor, type Route } from '../../src/engine/next-hop.js';
import { ip } from '../helpers/frame-builder.js';

// What iproute2 6.1 prints for a TUN director: eth0 10.0.0.2/24 (uvs drives it), mgmt0 elsewhere.
const ADDRS = [
  { ifindex: 1, ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 2, ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.0.0.2', prefixlen: 24 }, { family: 'inet', local: '10.0.0.100', prefixlen: 32 }] },
  { ifindex: 3, ifname: 'mgmt0', addr_info: [{ family: 'inet', local: '172.16.0.5', prefixlen: 16 }] },
];
const ROUTES = [
  { dst: 'default', gateway: '10.0.0.1', dev: 'eth0', flags: [] },
  { dst: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.2', flags: [] },
  { dst: '10.0.12.0/24', gateway: '10.0.0.254', dev: 'eth0', metric: 100, flags: [] },
  { dst: '10.0.12.0/24', gateway: '10.0.0.253', dev: 'eth0', metric: 50, flags: [] },
  { dst: '10.0.13.7', gateway: '10.0.0.9', dev: 'eth0', flags: [] },
  { dst: '10.0.14.0/24', dev: 'mgmt0', flags: [] },
  { type: 'blackhole', dst: '10.0.15.0/24', flags: [] },
  { type: 'unreachable', dst: '10.0.16.0/24', metric: 1024, flags: [] },
  { dst: '10.0.17.0/24', flags: [], nexthops: [{ gateway: '172.16.0.1', dev: 'mgmt0', weight: 1, flags: [] }, { gateway: '10.0.0.7', dev: 'eth0', weight: 1, flags: [] }] },
  { type: 'broadcast', dst: '10.0.0.255', dev: 'eth0', flags: [] },
  { dst: 'fe80::/64', dev: 'eth0', flags: [] },
];

const hop = (routes: Route[], addr: string) => {
  const h = nextHopFor(routes, ip(addr));
  return h && { addr: `${h.addr >>> 24}.${(h.addr >>> 16) & 255}.${(h.addr >>> 8) & 255}.${h.addr & 255}`, port: h.port };
};

describe('parseRoutes + nextHopFor', () => {
  const { routes, errors } = parseRoutes(ROUTES, ADDRS, ['eth0']);
  it('understands every entry but the IPv6 one (reported) and skips broadcast', () => {
    expect(errors).toEqual(['route "fe80::/64": destination not understood']);
    expect(routes).not.toBeNull();
    // 2 addresses on eth0 + 9 routes (broadcast skipped).
    expect(routes!.length).toBe(11);
  });
  it('on-link subnet: the dest is its own next hop', () => {
    expect(hop(routes!, '10.0.0.11')).toEqual({ addr: '10.0.0.11', port: 0 });
  });
  it('off-link: the default gateway', () => {
    expect(hop(routes!, '10.0.11.11')).toEqual({ addr: '10.0.0.1', port: 0 });
    expect(hop(routes!, '8.8.8.8')).toEqual({ addr: '10.0.0.1', port: 0 });
  });
  it('longest prefix wins, then the lowest metric; a bare address is a /32', () => {
    expect(hop(routes!, '10.0.12.5')).toEqual({ addr: '10.0.0.253', port: 0 });
    expect(hop(routes!, '10.0.13.7')).toEqual({ addr: '10.0.0.9', port: 0 });
    expect(hop(routes!, '10.0.13.8')).toEqual({ addr: '10.0.0.1', port: 0 });
  });
  it('a route through an interface uvs does not drive, and reject routes, mean no route', () => {
    expect(hop(routes!, '10.0.14.1')).toBeNull();
    expect(noRouteReason(routes!, ip('10.0.14.1'))).toBe('route via mgmt0, an interface uvs does not drive');
    expect(hop(routes!, '10.0.15.1')).toBeNull();
    expect(noRouteReason(routes!, ip('10.0.16.1'))).toBe('reject route');
  });
  it('multipath: the first next hop on a driven interface', () => {
    expect(hop(routes!, '10.0.17.3')).toEqual({ addr: '10.0.0.7', port: 0 });
  });
  it('two driven interfaces: ports by their index', () => {
    const r = parseRoutes(ROUTES, ADDRS, ['mgmt0', 'eth0']).routes!;
    expect(hop(r, '10.0.14.1')).toEqual({ addr: '10.0.14.1', port: 0 });
    expect(hop(r, '172.16.3.4')).toEqual({ addr: '172.16.3.4', port: 0 });
    expect(hop(r, '10.0.0.11')).toEqual({ addr: '10.0.0.11', port: 1 });
    expect(hop(r, '10.0.17.3')).toEqual({ addr: '172.16.0.1', port: 0 });
  });
  it('no route at all: null', () => {
    expect(routeFor([], ip('1.2.3.4'))).toBeNull();
    expect(noRouteReason([], ip('1.2.3.4'))).toBe('no route');
    const onlyDefault = parseRoutes([], [{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '10.0.0.2', prefixlen: 24 }] }], ['eth0']).routes!;
    expect(hop(onlyDefault, '10.0.11.11')).toBeNull();
  });
  it('the connected subnet comes from the interface address even when the main table lacks it', () => {
    const r = parseRoutes([{ dst: 'default', gateway: '10.0.0.1', dev: 'eth0' }], ADDRS, ['eth0']).routes!;
    expect(hop(r, '10.0.0.42')).toEqual({ addr: '10.0.0.42', port: 0 });
  });
});

describe('readRoutes', () => {
  it('nothing routed through the driven interfaces: null (every dest on-link, as before)', () => {
    expect(readRoutes(['veth9'], (args) => (args.includes('route') ? ROUTES : ADDRS))).toEqual({ routes: null, errors: ['route "fe80::/64": destination not understood'] });
  });
  it('ip failing reads as no routes, with the reason', () => {
    const r = readRoutes(['eth0'], () => { throw Object.assign(new Error('spawn ip ENOENT'), { stderr: '' }); });
    expect(r).toEqual({ routes: null, errors: ['cannot read routes: spawn ip ENOENT'] });
  });
  it('garbage JSON shapes give no routes rather than a crash', () => {
    expect(parseRoutes({ not: 'an array' }, null, ['eth0'])).toEqual({ routes: null, errors: [] });
    expect(parseRoutes([{ dst: 'default', gateway: 'nonsense', dev: 'eth0' }], [], ['eth0']).errors).toEqual(['route default: gateway "nonsense" is not IPv4']);
  });
});
