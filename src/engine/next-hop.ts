// Where a frame for a dest goes next, and who keeps it while that is being resolved.
//
// Routes: the director's IPv4 routes (its main table plus the subnets of its own interface
// addresses), as plain data. nextHopFor() picks the route for one address by longest prefix
// match, as fib_lookup() does: the most specific prefix wins, then the lowest metric, then the
// earlier entry. An on-link route (no gateway) makes the address itself the next hop; a route via a
// gateway makes the gateway the next hop (the neighbour cache resolves its MAC); a reject route
// (blackhole, unreachable, prohibit) or a route through an interface uvs does not drive means no
// route. The engine runs this for each dest when the table or the routes change, never per packet.
//
// FrameHolder: what the engine asks to keep a frame whose next hop has no MAC yet (uvs run's
// neighbour cache, like the kernel's neighbour queue, unres_qlen). The two tags come back with the
// frame so the engine can send it for the conn it was scheduled to on the first pass.

/** One IPv4 route. Addresses are host-order u32. */
export interface Route {
  /** Network address (already masked). */
  dst: number;
  /** Prefix length 0..32. */
  len: number;
  /** Gateway address; 0 when the destination is on-link. */
  gateway: number;
  /** Port (index into the interfaces uvs drives); -1 when the route uses another interface. */
  port: number;
  /** Lower wins among routes of the same prefix length. */
  metric: number;
  /** A blackhole/unreachable/prohibit route: matching it means no route. */
  reject: boolean;
  /** Interface name, for messages. */
  dev: string;
}

export interface NextHop {
  /** The address to resolve by ARP (the dest's own, or its gateway). */
  addr: number;
  port: number;
}

/** Network mask of a prefix length, as u32. */
export function prefixMask(len: number): number {
  return len <= 0 ? 0 : (0xffffffff << (32 - Math.min(len, 32))) >>> 0;
}

/** The route addr takes (longest prefix, then lowest metric, then first listed), or null. */
export function routeFor(routes: readonly Route[], addr: number): Route | null {
  addr >>>= 0;
  let best: Route | null = null;
  for (const r of routes) {
    if (((addr & prefixMask(r.len)) >>> 0) !== (r.dst >>> 0)) continue;
    if (best === null || r.len > best.len || (r.len === best.len && r.metric < best.metric)) best = r;
  }
  return best;
}

/**
 * Next hop for addr: the gateway of its route, or addr itself on-link. Null when there is no
 * route, the route rejects, or it leaves by an interface uvs does not drive.
 */
export function nextHopFor(routes: readonly Route[], addr: number): NextHop | null {
  const r = routeFor(routes, addr);
  if (r === null || r.reject || r.port < 0) return null;
  return { addr: r.gateway !== 0 ? r.gateway >>> 0 : addr >>> 0, port: r.port };
}

/** Why nextHopFor() returned null, for the warning log line. */
export function noRouteReason(routes: readonly Route[], addr: number): string {
  const r = routeFor(routes, addr);
  if (r === null) return 'no route';
  if (r.reject) return 'reject route';
  return `route via ${r.dev}, an interface uvs does not drive`;
}

export interface FrameHolder {
  /**
   * Keep a copy of buf[off, off+len) (received on port) until `ip` resolves; connTag and destTag
   * come back with it. False when there is no room (the engine then drops and counts it).
   */
  hold(ip: number, buf: Uint8Array, off: number, len: number, port: number, connTag: number, destTag: number): boolean;
}
