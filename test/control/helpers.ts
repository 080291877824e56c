// Test helpers: a model with a deterministic resolver and a fake StatsSource keyed by address.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlModel } from '../../src/control/model.js';
import { StaticResolver } from '../../src/control/names.js';
import type { ConnSnapshot, DestCounters, StatsCounters, StatsSource } from '../../src/model/snapshot.js';
import { zeroStats } from '../../src/model/snapshot.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'control');

export function fixture(rel: string): string {
  return readFileSync(join(FIXTURES, rel), 'utf8');
}

export const HOSTS = '127.0.0.1 localhost\n10.0.0.2 web1.example.org web1\n10.0.0.3 a-very-long-real-server-name.example.org\n10.0.0.1 vip.example.org\n';
export const SERVICES = 'http 80/tcp www\nhttp 80/udp\ndomain 53/tcp\ndomain 53/udp\nhttps 443/tcp\nhttp-alt 8080/tcp webcache\n';

export function newModel(): ControlModel {
  return new ControlModel({ names: new StaticResolver(HOSTS, SERVICES) });
}

/** Counters by service label ("TCP 10.0.0.1:80") and by dest "addr:port" (in the given service). */
export class FakeStats implements StatsSource {
  svc = new Map<string, StatsCounters>();
  dest = new Map<string, DestCounters>();
  conns: ConnSnapshot[] = [];
  constructor(private readonly model: ControlModel) {}

  private svcKey(id: number): string | null {
    const s = this.model.current.services.find((x) => x.id === id);
    return s ? (s.fwmark ? `FWM ${s.fwmark}` : `${s.protocol.toUpperCase()} ${s.addr}:${s.port}`) : null;
  }
  private destKey(id: number): string | null {
    for (const s of this.model.current.services) for (const d of s.dests) if (d.id === id) return `${d.addr}:${d.port}`;
    return null;
  }
  serviceStats(id: number): StatsCounters {
    return this.svc.get(this.svcKey(id) ?? '') ?? zeroStats();
  }
  destCounters(id: number): DestCounters {
    return this.dest.get(this.destKey(id) ?? '') ?? { activeConns: 0, inactConns: 0, persistConns: 0, overloaded: false, stats: zeroStats() };
  }
  connections(): ConnSnapshot[] {
    return this.conns;
  }
}

export function run(model: ControlModel, cmd: string | string[], stats?: StatsSource, stdin = ''): { stdout: string; stderr: string; code: number } {
  const argv = Array.isArray(cmd) ? cmd : cmd.split(/\s+/).filter(Boolean);
  return model.execute(argv, stdin, stats ?? new FakeStats(model));
}

/** Runs commands that must succeed. */
export function setup(model: ControlModel, ...cmds: string[]): void {
  for (const c of cmds) {
    const r = run(model, c);
    if (r.code !== 0) throw new Error(`setup '${c}' failed: ${r.stderr}`);
  }
}

export function dest(counters: Partial<DestCounters> & { stats?: Partial<StatsCounters> }): DestCounters {
  return {
    activeConns: counters.activeConns ?? 0,
    inactConns: counters.inactConns ?? 0,
    persistConns: counters.persistConns ?? 0,
    overloaded: counters.overloaded ?? false,
    stats: { ...zeroStats(), ...(counters.stats ?? {}) },
  };
}

/** Line-by-line equality with a readable failure. */
export function expectLines(actual: string, expected: string): void {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      throw new Error(`line ${i + 1} differs:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${JSON.stringify(a[i])}\n--- actual ---\n${actual}`);
    }
  }
}
