// The director's IPv4 routes for `uvs run`: read from its network namespace with
// `ip -j -4 route show table main` and `ip -j -4 addr show` at start, when the table changes
// (route-watch.ts) and on SIGHUP, turned into the plain route list the engine looks dests up in
// (src/engine/next-hop.ts: longest prefix match, done when the table or the routes change, never
// per packet).
//
//   - every IPv4 address of an interface uvs drives gives an on-link route for its subnet (the
//     kernel's "proto kernel scope link" route, kept even when the main table lacks it);
//   - each main-table route becomes one entry: `default` is 0.0.0.0/0, a bare address is a /32,
//     `via` gives the gateway, `dev` the port (-1 when uvs does not drive that interface, so a dest
//     routed there has no route uvs can use), `metric` breaks ties; blackhole, unreachable,
//     prohibit and throw routes reject; local/broadcast/multicast/anycast entries are skipped;
//   - a multipath route uses its first next hop on an interface uvs drives.
//     DIFF: the kernel spreads flows over the next hops by hash; uvs sends every dest's frames to
//     one of them (test: test/daemon/routes.test.ts).
// When nothing routes through the interfaces uvs drives (no address, no route: e.g. a bare test
// interface) the result is null: every dest is then its own next hop, resolved by ARP on its port,
// as before uvs read routes.

import { execFileSync } from 'node:child_process';
import { parseIPv4 } from '../model/ipv4.js';
import { prefixMask, type Route } from '../engine/next-hop.js';

interface IpNexthopJson { gateway?: string; dev?: string }
interface IpRouteJson extends IpNexthopJson { type?: string; dst?: string; metric?: number; nexthops?: IpNexthopJson[] }
interface IpAddrJson { ifname?: string; addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }> }

const REJECT_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

export interface RouteRead {
  /** Null: nothing routes through the interfaces uvs drives; every dest is its own next hop. */
  routes: Route[] | null;
  /** Entries that could not be understood (skipped), and read failures. */
  errors: string[];
}

/** "10.0.0.0/24", "10.0.0.5" (a /32) or "default" → [network, len]; null when malformed. */
function parsePrefix(text: string): [number, number] | null {
  if (text === 'default') return [0, 0];
  const [a, l] = text.split('/');
  const addr = parseIPv4(a ?? '');
  const len = l === undefined ? 32 : Number(l);
  if (addr === null || !Number.isInteger(len) || len < 0 || len > 32) return null;
  return [(addr & prefixMask(len)) >>> 0, len];
}

/**
 * Routes from the JSON of `ip -j -4 route show table main` and `ip -j -4 addr show`, ports by
 * index in `ifaces`. Pure: no I/O.
 */
export function parseRoutes(routeJson: unknown, addrJson: unknown, ifaces: readonly string[]): RouteRead {
  const routes: Route[] = [];
  const errors: string[] = [];
  for (const link of Array.isArray(addrJson) ? (addrJson as IpAddrJson[]) : []) {
    const port = ifaces.indexOf(link.ifname ?? '');
    if (port < 0) continue;
    for (const a of link.addr_info ?? []) {
      if (a.family !== undefined && a.family !== 'inet') continue;
      const p = parsePrefix(`${a.local ?? ''}/${a.prefixlen ?? 32}`);
      if (!p) { errors.push(`address ${a.local ?? '?'}/${a.prefixlen ?? '?'} on ${link.ifname}: not understood`); continue; }
      routes.push({ dst: p[0], len: p[1], gateway: 0, port, metric: 0, reject: false, dev: link.ifname! });
    }
  }
  for (const r of Array.isArray(routeJson) ? (routeJson as IpRouteJson[]) : []) {
    const type = r.type ?? 'unicast';
    if (type !== 'unicast' && !REJECT_TYPES.has(type)) continue;
    const p = parsePrefix(r.dst ?? '');
    if (!p) { errors.push(`route ${JSON.stringify(r.dst)}: destination not understood`); continue; }
    const metric = typeof r.metric === 'number' ? r.metric : 0;
    if (REJECT_TYPES.has(type)) {
      routes.push({ dst: p[0], len: p[1], gateway: 0, port: -1, metric, reject: true, dev: type });
      continue;
    }
    let hop: IpNexthopJson = r;
    if (Array.isArray(r.nexthops) && r.nexthops.length > 0) hop = r.nexthops.find((h) => ifaces.includes(h.dev ?? '')) ?? r.nexthops[0]!;
    let gateway = 0;
    if (hop.gateway !== undefined) {
      const g = parseIPv4(hop.gateway);
      if (g === null) { errors.push(`route ${r.dst}: gateway ${JSON.stringify(hop.gateway)} is not IPv4`); continue; }
      gateway = g >>> 0;
    }
    const dev = hop.dev ?? '';
    routes.push({ dst: p[0], len: p[1], gateway, port: ifaces.indexOf(dev), metric, reject: false, dev });
  }
  const usable = routes.some((r) => !r.reject && r.port >= 0);
  return { routes: usable ? routes : null, errors };
}

/** Runs `ip -j ARGS` and parses its JSON (throws with ip's message on failure). */
function ipJson(args: string[]): unknown {
  const out = execFileSync('ip', ['-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim() === '' ? [] : JSON.parse(out);
}

/** Reads this namespace's routes for the interfaces uvs drives. A failure reads as "no routes". */
export function readRoutes(ifaces: readonly string[], run: (args: string[]) => unknown = ipJson): RouteRead {
  try {
    return parseRoutes(run(['-4', 'route', 'show', 'table', 'main']), run(['-4', 'addr', 'show']), ifaces);
  } catch (err) {
    const e = err as Error & { stderr?: string };
    return { routes: null, errors: [`cannot read routes: ${(e.stderr || e.message).trim()}`] };
  }
}
