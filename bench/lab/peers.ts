// The peers `uvs bench lab` measures next to uvs, each set up in the director namespace of a NAT
// lab built without uvs (the real servers' gateway is the director, as every NAT-style balancer
// needs), and torn down after its cells:
//   nftables DNAT: the kernel load-balances with `dnat to numgen inc mod N map {...}` (conntrack
//     undoes it on the replies);
//   HAProxy in TCP mode (one thread, like uvs's one datapath worker);
//   a minimal Node `net` proxy (bench/lab/node-proxy.ts).
// For all three the director's kernel owns the VIP (on eth0), since they are ordinary local
// services or kernel NAT, unlike uvs which answers ARP for the VIP itself.

import { writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { must, run, spawnInNs, stopPids, waitFor, sysctl } from '../../netns-lab/exec.js';
import { DIST_ROOT, type LabState } from '../../netns-lab/lab.js';

export interface Peer {
  /** PID of the balancing process, or null when the kernel balances. */
  pid: number | null;
  stop(): Promise<void>;
}

function directorNs(st: LabState): string {
  return st.topology.nodes.find((n) => n.role === 'director')!.netns;
}

function ownVip(st: LabState): () => void {
  const ns = directorNs(st);
  const vip = `${st.topology.vip}/32`;
  must('ip', ['-n', ns, 'addr', 'replace', vip, 'dev', st.topology.directorIface]);
  return () => { run('ip', ['-n', ns, 'addr', 'del', vip, 'dev', st.topology.directorIface]); };
}

async function listening(ns: string, port: number): Promise<boolean> {
  return waitFor(() => run('ip', ['netns', 'exec', ns, 'ss', '-Hltn', `sport = :${port}`]).stdout.trim().length > 0, 5000);
}

export async function startNftDnat(st: LabState, port: number): Promise<Peer> {
  const ns = directorNs(st);
  const unVip = ownVip(st);
  sysctl(ns, 'net.ipv4.ip_forward', 1);
  const map = st.topology.rs.map((r, i) => `${i} : ${r.rip}`).join(', ');
  const rules = `table ip uvsbench {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${st.topology.vip} tcp dport ${port} dnat to numgen inc mod ${st.topology.rs.length} map { ${map} }
  }
}
`;
  must('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: rules });
  return {
    pid: null,
    stop: async () => {
      run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'ip', 'uvsbench']);
      sysctl(ns, 'net.ipv4.ip_forward', 0);
      unVip();
    },
  };
}

export async function startHaproxy(st: LabState, port: number, stateDir: string): Promise<Peer> {
  const ns = directorNs(st);
  const unVip = ownVip(st);
  const cfg = join(stateDir, 'haproxy.cfg');
  writeFileSync(cfg, `global
  nbthread 1
  maxconn 8000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend vip
  bind ${st.topology.vip}:${port}
  default_backend rs
backend rs
  balance roundrobin
${st.topology.rs.map((r) => `  server ${r.name} ${r.rip}:${port}`).join('\n')}
`);
  const pid = spawnInNs(ns, 'haproxy', ['-db', '-f', cfg], join(stateDir, 'haproxy.log'));
  if (!(await listening(ns, port))) throw new Error(`haproxy did not start; see ${join(stateDir, 'haproxy.log')}`);
  return { pid, stop: async () => { await stopPids([pid]); unVip(); } };
}

export async function startNodeProxy(st: LabState, port: number, stateDir: string): Promise<Peer> {
  const ns = directorNs(st);
  const unVip = ownVip(st);
  const ready = join(stateDir, 'node-proxy.ready');
  rmSync(ready, { force: true });
  const pid = spawnInNs(ns, process.execPath, [join(DIST_ROOT, 'bench', 'lab', 'node-proxy.js'),
    '--listen', `${st.topology.vip}:${port}`, '--to', st.topology.rs.map((r) => `${r.rip}:${port}`).join(','), '--ready', ready],
  join(stateDir, 'node-proxy.log'));
  if (!(await waitFor(() => existsSync(ready), 5000))) throw new Error(`node proxy did not start; see ${join(stateDir, 'node-proxy.log')}`);
  return { pid, stop: async () => { await stopPids([pid]); unVip(); } };
}
