// `uvs run` end to end, NAT and TUN (as root, in namespaces made here).
//
// NAT:  client 10.0.9.2 ── d0 10.0.9.1 [director: uvs run --iface d0 --inside-iface d1] d1 10.1.0.1
//       ── bridge ── rs1 10.1.0.11, rs2 10.1.0.12 (default route via 10.1.0.1), servers on :8080.
//       The client talks to VIP 10.0.9.100:80; replies must come back rewritten to the VIP (a TCP
//       connection only completes if they do), and the director's kernel forwards nothing.
// TUN:  client, director and rs1 on one bridge; rs1 decapsulates IP-in-IP with the lab's userspace
//       decapsulator (netns-lab/ipip-decap.js: this kernel has no ipip module) and answers directly.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, isRoot } from '../io/netns.js';
import { FIX, ROOT, ipvsadm, offloadsOff, startDirector, stopDirector, type Director } from './lab.js';

function waitListening(lab: Lab, ns: string, name: string, port: string): Promise<void> {
  const srv = lab.spawn(ns, process.execPath, [join(FIX, 'rs-server.mjs'), name, port]);
  return new Promise((resolve) => srv.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); }));
}

describe.runIf(isRoot())('uvs run, NAT (root)', () => {
  const lab = new Lab('nat');
  const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-io-nat-'));
  const sock = join(tmp, 'uvs.sock');
  const rules = join(tmp, 'rules');
  let cl = '';
  let dir = '';
  let sw = '';
  let director: Director | null = null;
  const client = (proto: string, n: number) =>
    lab.exec(cl, process.execPath, [join(FIX, 'client.mjs'), proto, '10.0.9.100', proto === 'tcp' ? '80' : '5353', String(n)]).trim().split('\n');

  beforeAll(async () => {
    writeFileSync(rules, [
      '-A -t 10.0.9.100:80 -s rr',
      '-a -t 10.0.9.100:80 -r 10.1.0.11:8080 -m',
      '-a -t 10.0.9.100:80 -r 10.1.0.12:8080 -m',
      '-A -u 10.0.9.100:5353 -s rr',
      '-a -u 10.0.9.100:5353 -r 10.1.0.11:8080 -m',
      '',
    ].join('\n'));
    cl = lab.ns('cl');
    dir = lab.ns('dir');
    sw = lab.ns('sw');
    lab.exec(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    lab.exec(sw, 'ip', ['link', 'set', 'br0', 'up']);
    lab.link(cl, 'c0', dir, 'd0', '10.0.9.2/24', '10.0.9.1/24');
    lab.link(dir, 'd1', sw, 'p0', '10.1.0.1/24');
    lab.exec(sw, 'ip', ['link', 'set', 'p0', 'master', 'br0']);
    offloadsOff(lab, cl, 'c0');
    for (const k of [1, 2]) {
      const rs = lab.ns(`rs${k}`);
      lab.link(rs, `r${k}`, sw, `p${k}`, `10.1.0.1${k}/24`);
      lab.exec(sw, 'ip', ['link', 'set', `p${k}`, 'master', 'br0']);
      lab.exec(rs, 'ip', ['route', 'add', 'default', 'via', '10.1.0.1']);
      offloadsOff(lab, rs, `r${k}`);
      await waitListening(lab, rs, `rs${k}`, '8080');
    }
    director = await startDirector(lab, dir, ['--iface', 'd0', '--inside-iface', 'd1', '--rules', rules, '--socket', sock, '--metrics', '127.0.0.1:9109']);
  });

  afterAll(async () => {
    if (director) await stopDirector(director);
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('TCP through NAT reaches both real servers and the replies come from the VIP', () => {
    const answers = client('tcp', 4);
    expect(answers.sort()).toEqual(['rs1', 'rs1', 'rs2', 'rs2']);
    // Frames to the real servers left by d1 with d1's MAC: the inside bridge never saw d0's.
    const d0 = lab.exec(dir, 'cat', ['/sys/class/net/d0/address']).trim();
    const d1 = lab.exec(dir, 'cat', ['/sys/class/net/d1/address']).trim();
    const fdb = lab.exec(sw, 'bridge', ['fdb', 'show', 'br', 'br0']);
    expect(fdb).toContain(d1);
    expect(fdb).not.toContain(d0);
  });

  it('keeps the director kernel off the NAT replies even with ip_forward=1 (nft netdev ingress)', () => {
    lab.exec(dir, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    try {
      expect(client('tcp', 2).sort()).toEqual(['rs1', 'rs2']);
      // The rule for replies from NAT real servers on the inside interface dropped them for the kernel.
      const chain = lab.exec(dir, 'nft', ['list', 'chain', 'netdev', 'uvs', 'ingress1']);
      const m = /ip saddr @rips ip daddr != @locals counter packets (\d+)/.exec(chain);
      expect(Number(m?.[1] ?? 0)).toBeGreaterThan(0);
    } finally {
      lab.exec(dir, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
    }
  });

  it('UDP through NAT: the answer comes back from VIP:5353', () => {
    expect(client('udp', 2)).toEqual(['rs1:ping', 'rs1:ping']);
  });

  it('counts the replies (OutPkts) as ipvsadm --stats does for NAT', async () => {
    const r = await ipvsadm(sock, '-L', '-n', '--stats', '-t', '10.0.9.100:80');
    const line = r.stdout.split('\n').find((l) => l.startsWith('TCP'))!;
    const [, , conns, inPkts, outPkts] = line.trim().split(/\s+/);
    expect(Number(conns)).toBeGreaterThanOrEqual(4);
    expect(Number(inPkts)).toBeGreaterThan(0);
    expect(Number(outPkts)).toBeGreaterThan(0);
  });

  it('serves Prometheus metrics on the --metrics address (inside the director namespace)', () => {
    const text = lab.exec(dir, 'curl', ['-s', 'http://127.0.0.1:9109/metrics']);
    expect(text).toContain('# TYPE uvs_rx_frames_total counter');
    expect(text).toMatch(/uvs_service_connections_total\{service="TCP 10\.0\.9\.100:80"\} [1-9]/);
    expect(text).toMatch(/uvs_dest_in_packets_total\{service="TCP 10\.0\.9\.100:80",dest="10\.1\.0\.11:8080",fwd="Masq"\} [1-9]/);
    expect(text).toMatch(/uvs_verdicts_total\{verdict="tx"\} [1-9]/);
  });

  it('a new dest added over the control socket takes traffic', async () => {
    expect((await ipvsadm(sock, '-a', '-u', '10.0.9.100:5353', '-r', '10.1.0.12:8080', '-m')).code).toBe(0);
    expect(new Set(client('udp', 4))).toEqual(new Set(['rs1:ping', 'rs2:ping']));
  });
});

describe.runIf(isRoot())('uvs run, TUN (root)', () => {
  const lab = new Lab('tun');
  const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-io-tun-'));
  const sock = join(tmp, 'uvs.sock');
  const rules = join(tmp, 'rules');
  const decap = join(ROOT, 'dist', 'netns-lab', 'ipip-decap.js');
  let cl = '';
  let director: Director | null = null;

  beforeAll(async () => {
    if (!existsSync(decap)) return;
    writeFileSync(rules, '-A -t 10.0.0.100:80 -s rr\n-a -t 10.0.0.100:80 -r 10.0.0.11:80 -i\n');
    const sw = lab.ns('sw');
    lab.exec(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    lab.exec(sw, 'ip', ['link', 'set', 'br0', 'up']);
    cl = lab.ns('cl');
    const dir = lab.ns('dir');
    const rs = lab.ns('rs1');
    ([[cl, 'c0', '10.0.0.2/24'], [dir, 'd0', '10.0.0.1/24'], [rs, 'r1', '10.0.0.11/24']] as const).forEach(([ns, ifname, addr], k) => {
      lab.link(ns, ifname, sw, `p${k}`, addr);
      lab.exec(sw, 'ip', ['link', 'set', `p${k}`, 'master', 'br0']);
    });
    offloadsOff(lab, cl, 'c0');
    lab.exec(rs, 'ip', ['addr', 'add', '10.0.0.100/32', 'dev', 'lo']);
    lab.exec(rs, 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
    const ready = join(tmp, 'decap.ready');
    lab.spawn(rs, process.execPath, [decap, '--dev', 'ipip0', '--ready', ready]);
    for (let i = 0; i < 250 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 20));
    await waitListening(lab, rs, 'rs1', '80');
    director = await startDirector(lab, dir, ['--iface', 'd0', '--rules', rules, '--socket', sock]);
  });

  afterAll(async () => {
    if (director) await stopDirector(director);
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it.runIf(existsSync(decap))('TCP through an IP-in-IP tunnel to a real server that answers directly', () => {
    const answers = lab.exec(cl, process.execPath, [join(FIX, 'client.mjs'), 'tcp', '10.0.0.100', '80', '3']).trim().split('\n');
    expect(answers).toEqual(['rs1', 'rs1', 'rs1']);
  });
});
