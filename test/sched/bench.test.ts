// The scheduler benchmark's command line (what `uvs bench sched` runs): options, errors, table.
// Timing figures are not asserted (no wall clock in unit tests); only the shape of the output.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { benchService, DESTS, run } from '../../bench/sched/schedule.bench.js';

afterEach(() => vi.restoreAllMocks());

function capture(): { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
  return { out: () => out.join(''), err: () => err.join('') };
}

describe('bench sched', () => {
  it('benchService builds 16 dests newest first, all eligible for ovf', () => {
    const svc = benchService('ovf');
    expect(svc.dests).toHaveLength(DESTS);
    expect(svc.dests[0].id).toBe(DESTS);
    for (const d of svc.dests) expect(d.activeConns).toBeLessThanOrEqual(d.weight);
  });

  it('prints one row per scheduler plus the peer', async () => {
    const c = capture();
    expect(await run(['--runs', '1', '--time', '5', 'rr', 'mh'])).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines[1]).toMatch(/^scheduler\s+ns\/op/);
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/)[0])).toEqual(['rr', 'mh', 'peer: dests[i & 15]']);
    expect(lines[2]).toMatch(/\s1024\s/); // every call answered
  });

  it('--json gives machine-readable rows', async () => {
    const c = capture();
    expect(await run(['--runs', '1', '--time', '5', '--json', 'sh'])).toBe(0);
    const j = JSON.parse(c.out()) as { rows: Array<{ name: string; hits: number; perRun: number[] }> };
    expect(j.rows.map((r) => r.name)).toEqual(['sh', 'peer: dests[i & 15]']);
    expect(j.rows[0].hits).toBe(1024);
    expect(j.rows[0].perRun).toHaveLength(1);
  });

  it('rejects unknown schedulers and bad numbers with exit 2', async () => {
    const c = capture();
    expect(await run(['nosuch'])).toBe(2);
    expect(await run(['--runs', '0'])).toBe(2);
    expect(await run(['--time'])).toBe(2);
    expect(c.err()).toMatch(/unknown scheduler or option 'nosuch'/);
    expect(c.err()).toMatch(/--runs needs a positive integer/);
  });
});
