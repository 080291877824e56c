// End to end through the director (`uvs run` in the lab's director namespace), one lab per
// forwarding mode: real HTTP, TCP echo and UDP echo from the client to the VIP; what reaches the
// real server on the wire (DR: only the MAC changed; TUN: IP-in-IP, protocol 4; NAT: destination
// rewritten to the RIP) and, for NAT, that replies come back from the VIP and never from a RIP.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { labNamespaces, uvsScript, type LabState } from '../../netns-lab/lab.js';
import { run } from '../../netns-lab/exec.js';
import { T_PATHS, daemonAvailable, inNode, isRoot, labDown, labUp, ns, probe, sleep } from './helpers.js';

/** tcpdump inside a node while `during` runs; returns the decoded lines (bounded by -c and a timeout). */
async function capture(st: LabState, node: string, iface: string, filter: string, count: number, during: () => void): Promise<string[]> {
  const p = spawn('ip', ['netns', 'exec', ns(st, node), 'timeout', '8', 'tcpdump', '-i', iface, '-e', '-n', '-l', '-c', String(count), filter],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  for (let i = 0; i < 100 && !err.includes('listening'); i++) await sleep(30);
  during();
  await new Promise<void>((resolve) => { if (p.exitCode !== null) resolve(); else p.on('exit', () => resolve()); });
  return out.trim().split('\n').filter((l) => l.length > 0);
}

function macOf(st: LabState, node: string, iface: string): string {
  return inNode(st, node, 'cat', [`/sys/class/net/${iface}/address`]).stdout.trim();
}

function expectAllServed(st: LabState): void {
  const vip = st.topology.vip;
  const http = probe(st, ['http', `http://${vip}/`, '--count', '4']);
  expect(http.failures, JSON.stringify(http.results)).toBe(0);
  expect(http.perServer).toEqual({ rs1: 2, rs2: 2 });
  // The client's address reaches the real server unchanged in every mode.
  for (const r of http.results) expect(r.client?.startsWith(`${st.topology.clientAddr}:`)).toBe(true);
  const tcp = probe(st, ['tcp', vip, '7', '--count', '4', '--bytes', '5000']);
  expect(tcp.failures, JSON.stringify(tcp.results)).toBe(0);
  // probe udp fails a reply that does not come from VIP:7.
  const udp = probe(st, ['udp', vip, '7', '--count', '4', '--bytes', '200']);
  expect(udp.failures, JSON.stringify(udp.results)).toBe(0);
}

// These tests need the director daemon (`uvs run`, dist/src/cli/commands/run.js). Without it there
// is no director in the lab and nothing to send through; the topology itself is tested in
// topology.test.ts either way.
describe.skipIf(!isRoot || !daemonAvailable())('through the director (uvs run), each forwarding mode', () => {
  afterEach(async () => { await labDown(); });
  afterAll(async () => { await labDown(); });

  it('DR: HTTP, TCP echo and UDP echo via the VIP; the real server receives client → VIP with only its MAC as destination', async () => {
    const st = await labUp('dr', { rsCount: 2, sched: 'rr' });
    expect(st.director.started).toBe(true);
    expectAllServed(st);
    const rs1 = st.topology.rs[0]!;
    const mac = macOf(st, 'rs1', 'eth0');
    const lines = await capture(st, 'rs1', 'eth0', 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0', 1,
      () => { probe(st, ['http', `http://${st.topology.vip}/`, '--count', '2']); });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`> ${mac}`);
    expect(lines[0]).toContain(`${st.topology.clientAddr}.`);
    expect(lines[0]).toContain(`> ${st.topology.vip}.80:`);
    expect(lines[0]).not.toContain(rs1.rip);
  });

  it('NAT: HTTP, TCP echo and UDP echo via the VIP; the RS sees its RIP as destination; replies reach the client from the VIP only', async () => {
    const st = await labUp('nat', { rsCount: 2, sched: 'rr' });
    expect(st.director.started).toBe(true);
    expectAllServed(st);
    const http = probe(st, ['http', `http://${st.topology.vip}/`, '--count', '2']);
    for (const r of http.results) expect(st.topology.rs.map((x) => x.rip)).toContain(r.local);
    const atClient = await capture(st, 'client', 'eth0', 'tcp src port 80 or udp src port 7', 6, () => {
      probe(st, ['http', `http://${st.topology.vip}/`, '--count', '2']);
      probe(st, ['udp', st.topology.vip, '7', '--count', '2']);
    });
    expect(atClient.length).toBe(6);
    for (const l of atClient) {
      expect(l).toMatch(/ 10\.0\.0\.100\.(80|7) > 10\.9\.0\.2\./);
      expect(l).not.toContain('172.16.100.');
    }
  });

  it('NAT --rx-threads: the switch ports toward the director receive in their own thread; everything is still served, 100 KB replies intact', async () => {
    const threaded = (st: LabState, port: string): string => inNode(st, 'switch', 'cat', [`/sys/class/net/${port}/threaded`]).stdout.trim();
    const plain = await labUp('nat', { rsCount: 2, sched: 'rr', director: false });
    expect([threaded(plain, 'director'), threaded(plain, 'dir-in')]).toEqual(['0', '0']);
    await labDown();
    const st = await labUp('nat', { rsCount: 2, sched: 'rr', rxThreads: true });
    expect(st.director.started).toBe(true);
    expect([threaded(st, 'director'), threaded(st, 'dir-in'), threaded(st, 'rs1'), threaded(st, 'router')]).toEqual(['1', '1', '0', '0']);
    expectAllServed(st);
    for (let i = 0; i < 4; i++) {
      const r = inNode(st, 'client', 'curl', ['-s', '-m', '3', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${st.topology.vip}/size/102400`]);
      expect(r.stdout).toBe('200 102400');
    }
    await labDown();
    await expect(labUp('tun', { rsCount: 1, rxThreads: true })).rejects.toThrow('--rx-threads: not in a TUN lab');
  });

  it('TUN: HTTP, TCP echo and UDP echo via the VIP; frames reach the real server encapsulated (IP proto 4, DIP → RIP)', async () => {
    const st = await labUp('tun', { rsCount: 2, sched: 'rr' });
    expect(st.director.started).toBe(true);
    expectAllServed(st);
    const rs1 = st.topology.rs[0]!;
    const lines = await capture(st, 'rs1', 'eth0', 'ip proto 4', 1,
      () => { probe(st, ['http', `http://${st.topology.vip}/`, '--count', '2']); });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${st.topology.directorAddr} > ${rs1.rip}: `);
    expect(lines[0]).toContain(`${st.topology.clientAddr}.`);
    expect(lines[0]).toContain(`> ${st.topology.vip}.80:`);
  });

  it('uvs lab demo dr (the README\'s first command): requests, totals against the weights, listings, torn down', () => {
    const r = run('env', ['UVS_LAB=uvs-t-lab', process.execPath, uvsScript(), 'lab', 'demo', 'dr', '--weights', '3,1', '--requests', '8'], { timeoutMs: 60_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('only the Ethernet destination');
    expect(r.stdout).toMatch(/rs1 {2}weight {2}3 {2}answered {3}6/);
    expect(r.stdout).toMatch(/rs2 {2}weight {2}1 {2}answered {3}2/);
    expect(r.stdout).toContain('$ uvsadm -L -n');
    expect(r.stdout).toMatch(/TCP {2}10\.0\.0\.100:80 wrr/);
    expect(r.stdout).toContain('IPVS connection entries');
    expect(r.stdout).toContain('Torn down: 6 namespaces removed');
    expect(labNamespaces(T_PATHS.prefix)).toEqual([]);
  });
});
