// Host and service names for ipvsadm's input and listings, as the C library gives them to
// ipvsadm: gethostbyname (first IPv4 address), gethostbyaddr (the canonical name, the first name
// on the matching line), getservbyname/getservbyport (first /etc/services entry for the protocol).
//
// ipvsadm calls these synchronously. uvs answers from /etc/hosts and /etc/services (read once,
// re-read when the file changes) and, for addresses not in /etc/hosts, from a bounded cache of
// reverse DNS lookups that run in the background: the first listing prints the number (what
// ipvsadm prints when an address does not resolve), later ones the name once it is known.
// DIFF: forward DNS is never consulted for names given on the command line; only /etc/hosts.

import { readFileSync, statSync } from 'node:fs';
import { promises as dns } from 'node:dns';
import { inetAton, inetNtop6, inetPton6 } from './inet.js';

export interface NameResolver {
  /** gethostbyname(): first IPv4 address of a host name, host order, or null. */
  hostToAddr(name: string): number | null;
  /** gethostbyaddr(): canonical name of an address, or null. */
  addrToHost(af: 4 | 6, addr: string): string | null;
  /** getservbyname(name, proto) → port, or -1. proto 'tcp' | 'udp' | 'sctp'. */
  serviceToPort(name: string, proto: string): number;
  /** getservbyport(port, proto) → name, or null. */
  portToService(port: number, proto: string): string | null;
}

interface HostsTable {
  byName: Map<string, number>;
  byAddr: Map<string, string>;
}

interface ServicesTable {
  byName: Map<string, number>;
  byPort: Map<string, string>;
}

export function parseHosts(text: string): HostsTable {
  const byName = new Map<string, number>();
  const byAddr = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [addr, ...names] = line.split(/\s+/);
    if (!addr || names.length === 0) continue;
    const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(addr) ? inetAton(addr) : null;
    const v6 = v4 === null ? inetPton6(addr.replace(/%.*$/, '')) : null;
    if (v4 === null && v6 === null) continue;
    const key = v4 !== null ? `4/${v4}` : `6/${inetNtop6(v6!)}`;
    if (!byAddr.has(key)) byAddr.set(key, names[0]!);
    if (v4 !== null) for (const n of names) if (!byName.has(n.toLowerCase())) byName.set(n.toLowerCase(), v4);
  }
  return { byName, byAddr };
}

export function parseServices(text: string): ServicesTable {
  const byName = new Map<string, number>();
  const byPort = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (!name || !m) continue;
    const port = Number(m[1]);
    const proto = m[2]!.toLowerCase();
    if (port > 65535) continue;
    for (const n of [name, ...aliases]) if (!byName.has(`${proto}/${n}`)) byName.set(`${proto}/${n}`, port);
    if (!byPort.has(`${proto}/${port}`)) byPort.set(`${proto}/${port}`, name);
  }
  return { byName, byPort };
}

/** A resolver over fixed hosts/services texts: deterministic, for tests and `uvs lint`. */
export class StaticResolver implements NameResolver {
  private readonly hosts: HostsTable;
  private readonly services: ServicesTable;
  constructor(hostsText = '', servicesText = '') {
    this.hosts = parseHosts(hostsText);
    this.services = parseServices(servicesText);
  }
  hostToAddr(name: string): number | null {
    return this.hosts.byName.get(name.toLowerCase()) ?? null;
  }
  addrToHost(af: 4 | 6, addr: string): string | null {
    const w = af === 6 ? inetPton6(addr) : null;
    const key = af === 4 ? `4/${inetAton(addr)}` : `6/${w ? inetNtop6(w) : addr.toLowerCase()}`;
    return this.hosts.byAddr.get(key) ?? null;
  }
  serviceToPort(name: string, proto: string): number {
    return this.services.byName.get(`${proto}/${name}`) ?? -1;
  }
  portToService(port: number, proto: string): string | null {
    return this.services.byPort.get(`${proto}/${port}`) ?? null;
  }
}

/** Resolves nothing: every listing is numeric, only numeric input is accepted. */
export const NUMERIC_ONLY: NameResolver = new StaticResolver();

const REVERSE_CACHE_MAX = 1024;
const REVERSE_TTL_MS = 300_000;
const REVERSE_TIMEOUT_MS = 2000;
const REVERSE_MAX_IN_FLIGHT = 16;

/** /etc/hosts, /etc/services and a bounded background reverse-DNS cache. */
export class SystemResolver implements NameResolver {
  private hosts: StaticResolver | null = null;
  private hostsStamp = -1;
  private servicesStamp = -1;
  private servicesRes: StaticResolver | null = null;
  private readonly reverse = new Map<string, { name: string | null; at: number }>();
  private inFlight = 0;
  constructor(
    private readonly hostsPath = '/etc/hosts',
    private readonly servicesPath = '/etc/services',
    private readonly useDns = true,
  ) {}

  private stamp(path: string): number {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return 0;
    }
  }

  private read(path: string): string {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  }

  private hostsRes(): StaticResolver {
    const s = this.stamp(this.hostsPath);
    if (!this.hosts || s !== this.hostsStamp) {
      this.hosts = new StaticResolver(this.read(this.hostsPath), '');
      this.hostsStamp = s;
    }
    return this.hosts;
  }

  private services(): StaticResolver {
    const s = this.stamp(this.servicesPath);
    if (!this.servicesRes || s !== this.servicesStamp) {
      this.servicesRes = new StaticResolver('', this.read(this.servicesPath));
      this.servicesStamp = s;
    }
    return this.servicesRes;
  }

  hostToAddr(name: string): number | null {
    return this.hostsRes().hostToAddr(name);
  }

  addrToHost(af: 4 | 6, addr: string): string | null {
    const fromHosts = this.hostsRes().addrToHost(af, addr);
    if (fromHosts !== null || !this.useDns) return fromHosts;
    const now = Date.now();
    const hit = this.reverse.get(addr);
    if (hit && now - hit.at < REVERSE_TTL_MS) return hit.name;
    if (this.inFlight < REVERSE_MAX_IN_FLIGHT && !(hit && hit.at > now)) {
      // Mark as pending (at in the future) so one address is looked up once at a time.
      this.reverse.set(addr, { name: hit?.name ?? null, at: now + REVERSE_TIMEOUT_MS });
      this.inFlight++;
      const resolver = new dns.Resolver({ timeout: REVERSE_TIMEOUT_MS, tries: 1 });
      resolver
        .reverse(addr)
        .then(
          (names) => this.remember(addr, names[0] ?? null),
          () => this.remember(addr, null),
        )
        .finally(() => {
          this.inFlight--;
        });
    }
    return hit?.name ?? null;
  }

  private remember(addr: string, name: string | null): void {
    if (this.reverse.size >= REVERSE_CACHE_MAX) {
      const oldest = this.reverse.keys().next().value;
      if (oldest !== undefined) this.reverse.delete(oldest);
    }
    this.reverse.delete(addr);
    this.reverse.set(addr, { name, at: Date.now() });
  }

  serviceToPort(name: string, proto: string): number {
    return this.services().serviceToPort(name, proto);
  }

  portToService(port: number, proto: string): string | null {
    return this.services().portToService(port, proto);
  }
}
