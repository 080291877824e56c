// Lab topologies without the director: namespaces, addresses, real-server agents, isolation,
// the userspace IP-in-IP decapsulator fed by a hand-made packet, `uvs lab check` finding the
// classic mistakes, idempotent `up`, and `down` removing everything, also after a crash.
// Root only (network namespaces); each test builds its own lab and removes it.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { checkLab } from '../../netns-lab/check.js';
import { labNamespaces, status, readState, DIST_ROOT, uvsScript } from '../../netns-lab/lab.js';
import { pidAlive, run } from '../../netns-lab/exec.js';
import { T_PATHS, inNode, isRoot, labDown, labUp, sleep } from './helpers.js';

describe.skipIf(!isRoot)('netns-lab topologies (root)', () => {
  afterEach(async () => { await labDown(); });
  afterAll(async () => { await labDown(); });

  it('DR: client reaches each real server on its RIP through the router; VIP on lo; status has every node', async () => {
    const st = await labUp('dr', { rsCount: 2, director: false });
    expect(labNamespaces(T_PATHS.prefix).sort()).toEqual(
      ['client', 'director', 'router', 'rs1', 'rs2', 'switch'].map((n) => `uvs-t-lab-${n}`).sort());
    for (const rs of st.topology.rs) {
      const r = inNode(st, 'client', 'curl', ['-s', '-m', '2', '-D', '-', `http://${rs.rip}/`]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${rs.name} ${rs.rip}`);
      expect(r.stdout.toLowerCase()).toContain(`x-client: ${st.topology.clientAddr}:`);
    }
    const s = status(T_PATHS)!;
    expect(s.mode).toBe('dr');
    expect(s.vip).toBe('10.0.0.100');
    expect(s.nodes.map((n) => n.name)).toEqual(['client', 'router', 'switch', 'director', 'rs1', 'rs2']);
    const rs1 = s.nodes.find((n) => n.name === 'rs1')!;
    expect(rs1.addrs).toEqual(['10.0.0.11']);
    expect(rs1.vipOnLo).toBe(true);
    expect(s.nodes.find((n) => n.name === 'client')!.addrs).toEqual(['10.9.0.2']);
    // The client is set up as a load generator (one connection per request must not run out of ports).
    expect(inNode(st, 'client', 'sysctl', ['-n', 'net.ipv4.ip_local_port_range']).stdout.trim().split(/\s+/)).toEqual(['1024', '65535']);
    expect(inNode(st, 'client', 'sysctl', ['-n', 'net.ipv4.tcp_tw_reuse']).stdout.trim()).toBe('1');
    // The switch is a bridge inside its own namespace, never in the root namespace.
    expect(run('ip', ['-n', 'uvs-t-lab-switch', 'link', 'show', 'br0']).code).toBe(0);
    expect(run('ip', ['link', 'show', 'br0']).stdout).not.toContain('br0');
    // The CLI prints the same status as JSON.
    const env = run('env', ['UVS_LAB=uvs-t-lab', process.execPath, uvsScript(), 'lab', 'status', '--json']);
    expect(env.code).toBe(0);
    const j = JSON.parse(env.stdout) as { mode: string; vip: string; nodes: { name: string; netns: string; addrs: string[] }[] };
    expect(j.mode).toBe('dr');
    expect(j.nodes.find((n) => n.name === 'director')!.addrs).toEqual(['10.0.0.2']);
    // `uvs lab check --here` on a real server itself (here: inside rs1), and on a host that is not one.
    const here = (node: string): ReturnType<typeof run> => run('ip', ['netns', 'exec', `uvs-t-lab-${node}`, process.execPath, uvsScript(),
      'lab', 'check', '--here', '--mode', 'dr', '--vip', '10.0.0.100', '--client', '10.9.0.2']);
    const good = here('rs1');
    expect(good.code, good.stdout).toBe(0);
    expect(good.stdout).toContain('no mistakes found');
    const bad = here('router');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('VIP 10.0.0.100 is not on lo');
    expect(bad.stdout).toContain('fix: sysctl -w net.ipv4.conf.all.arp_ignore=1');
  });

  it('NAT: real servers are private (unreachable from the client) and route via the director', async () => {
    const st = await labUp('nat', { rsCount: 2, director: false });
    const fromClient = inNode(st, 'client', 'curl', ['-s', '-m', '1', 'http://172.16.100.11/']);
    expect(fromClient.code).not.toBe(0);
    const fromDirector = inNode(st, 'director', 'curl', ['-s', '-m', '2', 'http://172.16.100.12/']);
    expect(fromDirector.stdout).toBe('rs2 172.16.100.12\n');
    const route = inNode(st, 'rs1', 'ip', ['route', 'get', '10.9.0.2']);
    expect(route.stdout).toContain('via 172.16.100.1');
    // No route out of the lab: nothing but lab subnets anywhere.
    const rr = inNode(st, 'router', 'ip', ['route', 'show']);
    expect(rr.stdout).not.toContain('default');
  });

  it('TUN: a hand-made IP-in-IP packet is decapsulated on the real server and the echo returns from the VIP', async () => {
    const st = await labUp('tun', { rsCount: 2, director: false });
    expect(st.decap === 'userspace' || st.decap === 'kernel').toBe(true);
    const rs2 = st.topology.rs[1]!;
    // The client waits for the UDP echo on port 5555.
    const listener = spawn('ip', ['netns', 'exec', 'uvs-t-lab-client', process.execPath, '-e', `
      const d = require('dgram').createSocket('udp4');
      const t = setTimeout(() => { console.log('timeout'); process.exit(1); }, 4000);
      d.on('message', (m, r) => { console.log(JSON.stringify({ from: r.address + ':' + r.port, text: m.toString() })); clearTimeout(t); process.exit(0); });
      d.bind(5555, () => console.log('ready'));`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    listener.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    for (let i = 0; i < 60 && !out.includes('ready'); i++) await sleep(50);
    const sent = inNode(st, 'director', process.execPath, [join(DIST_ROOT, 'netns-lab', 'ipip-send.js'),
      '--rip', rs2.rip, '--src', '10.9.0.2', '--dst', '10.0.0.100', '--sport', '5555', '--dport', '7', '--payload', 'via ipip']);
    expect(sent.stderr).toBe('');
    await new Promise<void>((resolve) => { if (listener.exitCode !== null) resolve(); else listener.on('exit', () => resolve()); });
    const line = out.split('\n').find((l) => l.startsWith('{'));
    expect(line, `client output: ${out}`).toBeDefined();
    expect(JSON.parse(line!)).toEqual({ from: '10.0.0.100:7', text: 'via ipip' });
  });

  it('check: passes on a fresh lab, then names each classic mistake and its fix', async () => {
    const st = await labUp('dr', { rsCount: 2, director: false });
    const rsFails = (): string[] => checkLab(st).filter((f) => f.verdict === 'FAIL' && f.node !== 'director').map((f) => `${f.node}: ${f.what}`);
    expect(rsFails()).toEqual([]);
    inNode(st, 'rs1', 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.arp_ignore=0', 'net.ipv4.conf.eth0.arp_ignore=0']);
    inNode(st, 'rs2', 'ip', ['addr', 'del', '10.0.0.100/32', 'dev', 'lo']);
    const f = checkLab(st).filter((x) => x.verdict === 'FAIL');
    const ig = f.find((x) => x.node === 'rs1' && x.what.includes('arp_ignore'));
    expect(ig?.fix).toContain('arp_ignore=1');
    const lo = f.find((x) => x.node === 'rs2' && x.what.includes('not on lo'));
    expect(lo?.fix).toBe('ip addr add 10.0.0.100/32 dev lo');
    inNode(st, 'rs2', 'ip', ['route', 'replace', 'default', 'via', '10.0.0.2']);
    const viaDirector = checkLab(st).find((x) => x.node === 'rs2' && x.what.includes('routed via the director'));
    expect(viaDirector?.verdict).toBe('FAIL');
    await labDown();

    const nat = await labUp('nat', { rsCount: 1, director: false });
    expect(checkLab(nat).filter((x) => x.node === 'rs1' && x.verdict === 'FAIL')).toEqual([]);
    inNode(nat, 'rs1', 'ip', ['route', 'del', 'default']);
    const natF = checkLab(nat).find((x) => x.node === 'rs1' && x.verdict === 'FAIL');
    expect(natF?.fix).toBe('ip route replace default via 172.16.100.1');
    await labDown();

    const tun = await labUp('tun', { rsCount: 1, director: false });
    expect(checkLab(tun).filter((x) => x.node === 'rs1' && x.verdict === 'FAIL')).toEqual([]);
    const dev = tun.decap === 'kernel' ? 'tunl0' : 'ipip0';
    inNode(tun, 'rs1', 'sysctl', ['-q', '-w', `net.ipv4.conf.${dev}.rp_filter=1`]);
    inNode(tun, 'rs1', 'ip', ['route', 'change', 'default', 'via', '10.0.11.1']);
    const tunF = checkLab(tun).filter((x) => x.node === 'rs1' && x.verdict === 'FAIL');
    expect(tunF.map((x) => x.what.split(':')[0])).toEqual([`rp_filter=1 (strict) on ${dev} (all=0, ${dev}=1)`, 'TUN MTU too large']);
    expect(tunF[1]!.fix).toContain('advmss 1440');
  });

  it('up is idempotent; down removes every namespace and process, also after a crash lost the state', async () => {
    const a = await labUp('dr', { rsCount: 2, director: false });
    const b = await labUp('dr', { rsCount: 2, director: false });
    expect(b.createdAt).toBe(a.createdAt);
    const pids = a.procs.map((p) => p.pid);
    expect(pids.every((p) => pidAlive(p))).toBe(true);
    // A different lab replaces it.
    const c = await labUp('dr', { rsCount: 3, director: false });
    expect(c.createdAt).not.toBe(a.createdAt);
    expect(pids.some((p) => pidAlive(p))).toBe(false);
    // Crash: the state file is gone, the namespaces and agents remain.
    rmSync(T_PATHS.stateFile);
    expect(readState(T_PATHS)).toBeNull();
    await labDown();
    expect(labNamespaces(T_PATHS.prefix)).toEqual([]);
    expect(c.procs.some((p) => pidAlive(p.pid))).toBe(false);
    expect(existsSync(T_PATHS.stateDir)).toBe(false);
    // And once more: nothing to do, no error.
    await labDown();
  });
});
