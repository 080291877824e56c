// `uvs run` end to end, DR (as root, in namespaces made here):
//
//   client 10.0.0.2 ─┐
//   director 10.0.0.1 (uvs run --iface, owns VIP 10.0.0.100) ─┤ bridge (ns "sw")
//   rs1 10.0.0.11, rs2 10.0.0.12 (VIP on lo, arp_ignore=1, arp_announce=2) ─┘
//
// ARP for the VIP is answered by uvs (the director's kernel does not have the VIP), real TCP (HTTP)
// and UDP reach both real servers and the answers come straight back; a dest deleted over the
// control socket takes effect at once; SIGHUP with a broken file keeps the running table; SIGTERM
// removes the nft table and the socket.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, isRoot } from '../io/netns.js';
import { FIX, UVS, control, ipvsadm, offloadsOff, startDirector, stopDirector, type Director } from './lab.js';
import { formatStatus } from '../../src/cli/commands/status.js';
import type { StatusReply } from '../../src/control/protocol.js';

const RULES = `-A -t 10.0.0.100:80 -s rr
-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1
-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1
-A -u 10.0.0.100:5353 -s rr
-a -u 10.0.0.100:5353 -r 10.0.0.11:5353 -g -w 1
-a -u 10.0.0.100:5353 -r 10.0.0.12:5353 -g -w 1
`;

describe.runIf(isRoot()).each(['afpacket', 'pcap'])('uvs run --io %s, DR (root)', (io) => {
  const lab = new Lab(`dr${io.slice(0, 3)}`);
  const tmp = mkdtempSync(join(tmpdir(), 'uvs-t-io-dr-'));
  const sock = join(tmp, 'uvs.sock');
  const rules = join(tmp, 'rules');
  let cl = '';
  let dir = '';
  let director: Director | null = null;

  const client = (proto: string, n: number) =>
    lab.exec(cl, process.execPath, [join(FIX, 'client.mjs'), proto, '10.0.0.100', proto === 'tcp' ? '80' : '5353', String(n)]).trim().split('\n');

  beforeAll(async () => {
    writeFileSync(rules, RULES);
    const sw = lab.ns('sw');
    lab.exec(sw, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    lab.exec(sw, 'ip', ['link', 'set', 'br0', 'up']);
    cl = lab.ns('cl');
    dir = lab.ns('dir');
    const nodes: Array<[string, string, string]> = [[cl, 'c0', '10.0.0.2/24'], [dir, 'd0', '10.0.0.1/24']];
    const rss: string[] = [];
    for (const [i, name] of [[1, 'rs1'], [2, 'rs2']] as const) {
      const ns = lab.ns(name);
      rss.push(ns);
      nodes.push([ns, `r${i}`, `10.0.0.1${i}/24`]);
    }
    nodes.forEach(([ns, ifname, addr], k) => {
      lab.link(ns, ifname, sw, `p${k}`, addr);
      lab.exec(sw, 'ip', ['link', 'set', `p${k}`, 'master', 'br0']);
    });
    offloadsOff(lab, cl, 'c0');
    for (const [k, ns] of rss.entries()) {
      lab.exec(ns, 'ip', ['addr', 'add', '10.0.0.100/32', 'dev', 'lo']);
      lab.exec(ns, 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
      const srv = lab.spawn(ns, process.execPath, [join(FIX, 'rs-server.mjs'), `rs${k + 1}`, '80']);
      const srv2 = lab.spawn(ns, process.execPath, [join(FIX, 'rs-server.mjs'), `rs${k + 1}`, '5353']);
      await Promise.all([srv, srv2].map((c) => new Promise<void>((resolve) => c.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); }))));
    }
    director = await startDirector(lab, dir, ['--iface', 'd0', '--rules', rules, '--socket', sock, '--io', io]);
  });

  afterAll(async () => {
    if (director) await stopDirector(director);
    lab.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('answers ARP for the VIP itself, with the director MAC', () => {
    const mac = lab.exec(dir, 'cat', ['/sys/class/net/d0/address']).trim();
    lab.exec(cl, 'ip', ['neigh', 'flush', 'dev', 'c0']);
    expect(lab.exec(dir, 'ip', ['-4', 'addr', 'show'])).not.toContain('10.0.0.100');
    expect(['rs1', 'rs2']).toContain(client('tcp', 1)[0]);
    const neigh = lab.exec(cl, 'ip', ['neigh', 'show', '10.0.0.100', 'dev', 'c0']);
    expect(neigh.toLowerCase()).toContain(`lladdr ${mac}`);
  });

  it('forwards TCP connections to both real servers (rr) and the replies come back', () => {
    const answers = client('tcp', 6);
    expect(answers.filter((a) => a === 'rs1').length).toBe(3);
    expect(answers.filter((a) => a === 'rs2').length).toBe(3);
  });

  it('forwards UDP datagrams to both real servers', () => {
    const answers = client('udp', 4);
    expect(answers.every((a) => a === 'rs1:ping' || a === 'rs2:ping')).toBe(true);
    expect(new Set(answers).size).toBe(2);
  });

  it('lists the services and counters like ipvsadm over the control socket', async () => {
    const r = await ipvsadm(sock, '-L', '-n', '--stats');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('TCP  10.0.0.100:80');
    expect(r.stdout).toMatch(/-> 10\.0\.0\.11:80\s+\d+/);
    const st = await control(sock, { op: 'status' });
    expect(st.iface).toBe('d0');
    expect((st.counters as Record<string, number>).rx).toBeGreaterThan(0);
    // `uvs status` reads the real reply: its summary names the port and the same rx count.
    const summary = formatStatus(st as unknown as StatusReply).split('\n');
    expect(summary[0]).toMatch(/^uvs run pid \d+, up \d+ s: (afpacket \(\w+\)|pcap) on d0, \d+ virtual services?$/);
    expect(summary).toContain(`frames      rx ${(st.counters as Record<string, number>).rx}  tx ${(st.counters as Record<string, number>).tx}  batches ${(st.counters as Record<string, number>).batches}`);
  });

  it('applies a dest deletion from uvsadm -d live', async () => {
    const r = await ipvsadm(sock, '-d', '-t', '10.0.0.100:80', '-r', '10.0.0.12:80');
    expect(r.code).toBe(0);
    const answers = client('tcp', 4);
    expect(answers).toEqual(['rs1', 'rs1', 'rs1', 'rs1']);
    const back = await ipvsadm(sock, '-a', '-t', '10.0.0.100:80', '-r', '10.0.0.12:80', '-g');
    expect(back.code).toBe(0);
    expect(new Set(client('tcp', 4))).toEqual(new Set(['rs1', 'rs2']));
  });

  it('refuses a broken rules file on SIGHUP and keeps running', async () => {
    writeFileSync(rules, RULES + '-a -t 10.0.0.100:80 -r nonsense:xx -g\n');
    director!.child.kill('SIGHUP');
    for (let i = 0; i < 100 && !director!.log().includes('reload refused'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(director!.log()).toContain('reload refused');
    expect(new Set(client('tcp', 4))).toEqual(new Set(['rs1', 'rs2']));
    // A good file with one dest fewer: only that changes.
    writeFileSync(rules, RULES.split('\n').filter((l) => !l.includes('10.0.0.12:80')).join('\n'));
    director!.child.kill('SIGHUP');
    for (let i = 0; i < 100 && !director!.log().includes('"msg":"reloaded"'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(client('tcp', 3)).toEqual(['rs1', 'rs1', 'rs1']);
  });

  it('announces a new VIP with gratuitous ARP', async () => {
    lab.exec(cl, 'sysctl', ['-qw', 'net.ipv4.conf.c0.arp_accept=1']);
    const mac = lab.exec(dir, 'cat', ['/sys/class/net/d0/address']).trim();
    expect((await ipvsadm(sock, '-A', '-t', '10.0.0.101:80')).code).toBe(0);
    let neigh = '';
    for (let i = 0; i < 100 && !neigh.includes('lladdr'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      neigh = lab.exec(cl, 'ip', ['neigh', 'show', '10.0.0.101', 'dev', 'c0']);
    }
    expect(neigh.toLowerCase()).toContain(`lladdr ${mac}`);
    expect((await ipvsadm(sock, '-D', '-t', '10.0.0.101:80')).code).toBe(0);
  });

  it('uvs trace prints each decision, one line per packet', async () => {
    const tr = lab.spawn(dir, process.execPath, [UVS, 'trace', '--socket', sock]);
    let out = '';
    tr.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    await new Promise((r) => setTimeout(r, 300));
    client('udp', 1);
    for (let i = 0; i < 100 && !out.includes('UDP 10.0.0.100:5353'); i++) await new Promise((r) => setTimeout(r, 20));
    tr.kill('SIGTERM');
    const line = out.split('\n').find((l) => l.includes('→ 10.0.0.100:5353'));
    expect(line).toBeDefined();
    expect(line).toMatch(/UDP 10\.0\.0\.2:\d+ → 10\.0\.0\.100:5353\s+tx\s+UDP 10\.0\.0\.100:5353\s+→ 10\.0\.0\.1[12]:5353\s+Route\s+conn=new/);
  });

  it('stops cleanly on SIGTERM: exit 0, nft table and socket removed', async () => {
    const code = await stopDirector(director!);
    director = null;
    expect(code).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(() => lab.exec(dir, 'nft', ['list', 'table', 'netdev', 'uvs'])).toThrow();
  });
});
