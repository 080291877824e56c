// `uvs run` with an off-link real server (as root, in namespaces made here): the director reaches
// it through a router it finds in its own routing table, not by ARP for the RIP.
//
//   client 10.0.9.2 ── d0 10.0.9.1 [director] d1 10.2.0.2 ── 10.2.0.1 [router] 10.3.0.1 ── rs1 10.3.0.11
//
// NAT service 10.0.9.100:5353/udp → 10.3.0.11:8080. The router sends the replies back to the
// director (route to 10.0.9.0/24 via 10.2.0.2), which rewrites them to the VIP. At start the director
// has no route to 10.3.0.0/24: the dest is added, one warning is logged, frames drop as no_route.
// After `ip route add 10.3.0.0/24 via 10.2.0.1` (no SIGHUP: uvs follows route changes) the traffic
// flows, the neighbour table holds the router (10.2.0.1), never the RIP; the route deleted, frames
// drop again; SIGHUP re-reads the routes as well.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, isRoot } from '../io/netns.js';
import { FIX, control, offloadsOff, startDirector, stopDirector, type Director } from './lab.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(isRoot())('uvs run, an off-link NAT real server behind a router (root)', () => {
  const lab = new Lab('route');
  const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-io-route-'));
  const sock = join(tmp, 'uvs.sock');
  const rules = join(tmp, 'rules');
  let cl = '';
  let dir = '';
  let director: Director | null = null;
  const client = (n: number) => lab.exec(cl, process.execPath, [join(FIX, 'client.mjs'), 'udp', '10.0.9.100', '5353', String(n)]).trim().split('\n');
  const status = async () => (await control(sock, { op: 'status' })) as { counters: { drops: Record<string, number> }; neighbours: Array<{ ip: string; state: string }> };

  beforeAll(async () => {
    writeFileSync(rules, '-A -u 10.0.9.100:5353 -s rr\n-a -u 10.0.9.100:5353 -r 10.3.0.11:8080 -m\n');
    cl = lab.ns('cl');
    dir = lab.ns('dir');
    const rt = lab.ns('rt');
    const rs = lab.ns('rs1');
    lab.link(cl, 'c0', dir, 'd0', '10.0.9.2/24', '10.0.9.1/24');
    lab.link(dir, 'd1', rt, 't0', '10.2.0.2/24', '10.2.0.1/24');
    lab.link(rt, 't1', rs, 'r1', '10.3.0.1/24', '10.3.0.11/24');
    lab.exec(rt, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    lab.exec(rt, 'ip', ['route', 'add', '10.0.9.0/24', 'via', '10.2.0.2']);
    lab.exec(rs, 'ip', ['route', 'add', 'default', 'via', '10.3.0.1']);
    offloadsOff(lab, cl, 'c0');
    offloadsOff(lab, rt, 't0');
    const srv = lab.spawn(rs, process.execPath, [join(FIX, 'rs-server.mjs'), 'rs1', '8080']);
    await new Promise<void>((resolve) => srv.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); }));
    director = await startDirector(lab, dir, ['--iface', 'd0', '--inside-iface', 'd1', '--rules', rules, '--socket', sock]);
  });

  afterAll(async () => {
    if (director) await stopDirector(director);
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('no route at start: one warning line, frames dropped as no_route, nothing reaches the router', async () => {
    const warnings = director!.log().split('\n').filter((l) => l.includes('10.3.0.11:8080: no route'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"level":40');
    expect(client(1)).toEqual(['ERR timeout']);
    let st = await status();
    for (let i = 0; i < 40 && !st.counters.drops.no_route; i++) { await sleep(100); st = await status(); }
    expect(st.counters.drops.no_route).toBeGreaterThanOrEqual(1);
    expect(st.neighbours.map((n) => n.ip)).not.toContain('10.2.0.1');
  });

  const waitLog = async (text: string, from: number): Promise<void> => {
    for (let i = 0; i < 60 && !director!.log().slice(from).includes(text); i++) await sleep(50);
    expect(director!.log().slice(from)).toContain(text);
  };

  it('a route via the router, no SIGHUP: uvs follows within a second; the answers come back from the VIP; ARP resolved the router, not the RIP', async () => {
    const from = director!.log().length;
    lab.exec(dir, 'ip', ['route', 'add', '10.3.0.0/24', 'via', '10.2.0.1']);
    await waitLog('"why":"changed","msg":"routes read', from);
    await sleep(100); // the worker applies the routes between batches
    expect(client(3)).toEqual(['rs1:ping', 'rs1:ping', 'rs1:ping']);
    let st = await status();
    for (let i = 0; i < 40 && !st.neighbours.some((n) => n.ip === '10.2.0.1'); i++) { await sleep(100); st = await status(); }
    expect(st.neighbours.find((n) => n.ip === '10.2.0.1')?.state).toBe('REACHABLE');
    expect(st.neighbours.map((n) => n.ip)).not.toContain('10.3.0.11');
  });

  it('the route deleted: frames drop as no_route again', async () => {
    const from = director!.log().length;
    const before = (await status()).counters.drops.no_route ?? 0;
    lab.exec(dir, 'ip', ['route', 'del', '10.3.0.0/24', 'via', '10.2.0.1']);
    await waitLog('"why":"changed"', from);
    await sleep(100);
    expect(client(1)).toEqual(['ERR timeout']);
    expect((await status()).counters.drops.no_route).toBeGreaterThan(before);
  });

  it('SIGHUP re-reads the routes too', async () => {
    lab.exec(dir, 'ip', ['route', 'add', '10.3.0.0/24', 'via', '10.2.0.1']);
    const reads = () => director!.log().split('"why":"SIGHUP"').length;
    const before = reads();
    director!.child.kill('SIGHUP');
    for (let i = 0; i < 50 && reads() === before; i++) await sleep(50);
    expect(reads()).toBe(before + 1);
    await sleep(100);
    expect(client(2)).toEqual(['rs1:ping', 'rs1:ping']);
  });
});
