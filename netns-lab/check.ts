// `uvs lab check`: finds the classic LVS set-up mistakes, on a running lab or on this host as a
// real server (`--here`), and says what to change. The mistakes, from the seed articles and the
// LVS HOWTO:
//   DR/TUN real server: VIP missing on lo; arp_ignore < 1 or arp_announce < 2 (the real server
//     answers ARP for the VIP and steals the traffic, or announces the VIP as ARP source);
//   TUN real server: no decapsulating device, rp_filter=1 on it (drops the inner packet whose
//     source, the client, is routed via eth0), MTU/MSS too large for the 20-byte outer header;
//   NAT real server: replies not routed via the director (they would leave with the RIP as source);
//   DR/TUN real server: replies routed via the director (it forwards only the client → VIP half);
//   director: not running, its kernel owning the VIP or forwarding (uvs forwards by itself);
//   router: not forwarding, strict rp_filter on the ports the replies come back through.
// Each sysctl is read the way the kernel applies it: the effective value of arp_ignore,
// arp_announce and rp_filter on an interface is max(conf/all, conf/IF).

import { run, pidAlive, type RunResult } from './exec.js';
import { readState, labPaths, type LabState } from './lab.js';
import { existsSync } from 'node:fs';
import { TUN_ADVMSS, TUN_INNER_MTU } from './topology/tun.js';

export type Verdict = 'ok' | 'warn' | 'FAIL';

export interface Finding {
  node: string;
  verdict: Verdict;
  what: string;
  fix?: string;
}

type Exec = (cmd: string, args: string[]) => RunResult;

function inNs(ns: string | null): Exec {
  return ns === null ? (cmd, args) => run(cmd, args) : (cmd, args) => run('ip', ['netns', 'exec', ns, cmd, ...args]);
}

function sysctlNum(x: Exec, key: string): number | null {
  const r = x('sysctl', ['-n', key]);
  if (r.code !== 0) return null;
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) ? n : null;
}

function effective(x: Exec, name: string, iface: string): { value: number; all: number; dev: number } {
  const all = sysctlNum(x, `net.ipv4.conf.all.${name}`) ?? 0;
  const dev = sysctlNum(x, `net.ipv4.conf.${iface}.${name}`) ?? 0;
  return { value: Math.max(all, dev), all, dev };
}

interface AddrInfo { ifname: string; mtu?: number; operstate?: string; flags?: string[]; addr_info?: { family: string; local: string; prefixlen: number }[] }

function addrs(x: Exec): AddrInfo[] {
  const r = x('ip', ['-j', 'addr', 'show']);
  try { return JSON.parse(r.stdout) as AddrInfo[]; } catch { return []; }
}

function hasAddr(list: AddrInfo[], ifname: string | null, ip: string): boolean {
  return list.some((i) => (ifname === null || i.ifname === ifname) && (i.addr_info ?? []).some((a) => a.family === 'inet' && a.local === ip));
}

/** The interface and gateway this host uses to reach `dst` (from `ip route get`). */
function routeTo(x: Exec, dst: string, from?: string): { dev: string | null; via: string | null; advmss: number | null; mtu: number | null } {
  const args = ['route', 'get', dst];
  if (from) args.push('from', from);
  const r = x('ip', args);
  const t = r.stdout;
  const m = (re: RegExp): string | null => { const k = re.exec(t); return k ? k[1]! : null; };
  const advmss = m(/advmss (\d+)/);
  const mtu = m(/mtu (\d+)/);
  return { dev: m(/ dev (\S+)/), via: m(/ via (\S+)/), advmss: advmss ? Number(advmss) : null, mtu: mtu ? Number(mtu) : null };
}

function defaultAdvmss(x: Exec): number | null {
  const r = x('ip', ['route', 'show', 'default']);
  const k = /advmss (\d+)/.exec(r.stdout);
  return k ? Number(k[1]) : null;
}

export interface RsCheckInput {
  node: string;
  mode: 'dr' | 'nat' | 'tun';
  vip: string;
  /** A client address to route toward (NAT: must go via the director). */
  client: string;
  /** NAT: the director's inside address, the RS gateway. */
  directorInside?: string;
  /** DR/TUN: the director's address; replies must not be routed through it. */
  director?: string;
  /** Interface facing the director (DR) or the network (TUN); found from the route to the client when omitted. */
  iface?: string;
  /** TUN: the decapsulating device to look for (tunl0 or the lab's ipip0). */
  decapDevs?: string[];
}

/** Checks one real server; `ns` null means this host. */
export function checkRealServer(ns: string | null, o: RsCheckInput): Finding[] {
  const x = inNs(ns);
  const out: Finding[] = [];
  const f = (verdict: Verdict, what: string, fix?: string): void => { out.push({ node: o.node, verdict, what, ...(fix ? { fix } : {}) }); };
  const list = addrs(x);
  const toClient = routeTo(x, o.client);
  const iface = o.iface ?? toClient.dev ?? 'eth0';
  if (o.mode === 'nat') {
    if (o.directorInside && toClient.via !== o.directorInside) {
      f('FAIL', `replies to the client ${o.client} go via ${toClient.via ?? `${toClient.dev ?? 'nowhere'} (no gateway)`}, not via the director ${o.directorInside}: they would leave with the RIP as source and the client would drop them`,
        `ip route replace default via ${o.directorInside}`);
    } else if (o.directorInside) {
      f('ok', `replies to the client go via the director ${o.directorInside}`);
    }
    return out;
  }
  if (o.director && toClient.via === o.director) {
    f('FAIL', `replies to the client ${o.client} are routed via the director ${o.director}: in ${o.mode.toUpperCase()} the director only carries the client → VIP half, and its kernel does not forward (uvs owns the VIP traffic)`,
      'ip route replace default via ROUTER (the LAN\'s router, not the director)');
  }
  if (hasAddr(list, 'lo', o.vip)) f('ok', `VIP ${o.vip} on lo`);
  else f('FAIL', `VIP ${o.vip} is not on lo: packets for the VIP ${o.mode === 'dr' ? 'arriving with only the MAC rewritten' : 'coming out of the tunnel'} are not for this host and are dropped`,
    `ip addr add ${o.vip}/32 dev lo`);
  if (list.some((i) => i.ifname !== 'lo' && hasAddr([i], null, o.vip))) {
    f('FAIL', `VIP ${o.vip} is on a real interface, not only lo: this real server will answer ARP for it`, `ip addr del ${o.vip}/32 dev IFACE; ip addr add ${o.vip}/32 dev lo`);
  }
  const ig = effective(x, 'arp_ignore', iface);
  const an = effective(x, 'arp_announce', iface);
  const sev: Verdict = o.mode === 'dr' ? 'FAIL' : 'warn';
  if (ig.value >= 1) f('ok', `arp_ignore=${ig.value} on ${iface}`);
  else f(sev, `arp_ignore is 0 on ${iface} (all=${ig.all}, ${iface}=${ig.dev}): this real server answers ARP requests for the VIP${o.mode === 'dr' ? ' on the shared LAN and steals the clients from the director' : ''}`,
    'sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.lo.arp_ignore=1');
  if (an.value >= 2) f('ok', `arp_announce=${an.value} on ${iface}`);
  else f(sev, `arp_announce is ${an.value} on ${iface} (all=${an.all}, ${iface}=${an.dev}): ARP requests sent by this host may carry the VIP as source and repoint neighbours' VIP entry to it`,
    'sysctl -w net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lo.arp_announce=2');
  if (o.mode === 'tun') {
    const devs = o.decapDevs ?? ['tunl0', 'ipip0'];
    const dev = list.find((i) => devs.includes(i.ifname));
    if (!dev) {
      f('FAIL', `no IP-in-IP decapsulating device (${devs.join(' or ')}): proto-4 packets from the director are dropped`,
        'modprobe ipip && ip link set tunl0 up (or run the lab\'s userspace netns-lab/ipip-decap.js)');
    } else {
      const up = (dev.flags ?? []).includes('UP');
      if (!up) f('FAIL', `${dev.ifname} is down`, `ip link set ${dev.ifname} up`);
      else f('ok', `${dev.ifname} decapsulates IP-in-IP`);
      const rp = effective(x, 'rp_filter', dev.ifname);
      if (rp.value === 1) {
        f('FAIL', `rp_filter=1 (strict) on ${dev.ifname} (all=${rp.all}, ${dev.ifname}=${rp.dev}): the inner packet's source, the client, is routed via ${iface}, so strict reverse-path filtering drops it`,
          `sysctl -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.${dev.ifname}.rp_filter=0`);
      } else {
        f('ok', `rp_filter=${rp.value} on ${dev.ifname}`);
      }
      if ((dev.mtu ?? 0) > TUN_INNER_MTU) {
        f('warn', `${dev.ifname} MTU ${dev.mtu ?? '?'} is larger than ${TUN_INNER_MTU}: with the 20-byte outer header the tunnelled packet exceeds a 1500-byte path`,
          `ip link set ${dev.ifname} mtu ${TUN_INNER_MTU}`);
      }
    }
    const egressMtu = list.find((i) => i.ifname === iface)?.mtu ?? 1500;
    const advmss = toClient.advmss ?? defaultAdvmss(x);
    const mss = advmss ?? (toClient.mtu ?? egressMtu) - 40;
    if (mss + 40 + 20 > 1500) {
      f('FAIL', `TUN MTU too large: this real server advertises MSS ${mss} to clients, so their ${mss + 40}-byte packets become ${mss + 60} bytes once the director adds the outer header, more than the 1500-byte path (dropped or fragmented)`,
        `ip route change default via ${toClient.via ?? 'GATEWAY'} advmss ${TUN_ADVMSS}   (or lower the client-side MTU to ${TUN_INNER_MTU})`);
    } else {
      f('ok', `MSS ${mss} leaves room for the 20-byte outer header`);
    }
  }
  return out;
}

/** Checks a running lab: every node, the director, and whether the VIP answers. */
export function checkLab(st: LabState): Finding[] {
  const topo = st.topology;
  const out: Finding[] = [];
  const nsOf = (role: string): string => topo.nodes.find((n) => n.role === role)!.netns;
  const router = inNs(nsOf('router'));
  if (sysctlNum(router, 'net.ipv4.ip_forward') === 1) out.push({ node: 'router', verdict: 'ok', what: 'forwards (ip_forward=1)' });
  else out.push({ node: 'router', verdict: 'FAIL', what: 'router does not forward', fix: 'sysctl -w net.ipv4.ip_forward=1' });
  if (topo.mode === 'tun') {
    for (const r of topo.rs) {
      const rp = effective(router, 'rp_filter', r.name);
      if (rp.value === 1) out.push({ node: 'router', verdict: 'FAIL', what: `rp_filter=1 on ${r.name}: replies with source VIP from ${r.name}'s subnet are dropped`, fix: `sysctl -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.${r.name}.rp_filter=0` });
    }
  }
  const dirNs = nsOf('director');
  const dx = inNs(dirNs);
  const dlist = addrs(dx);
  if (hasAddr(dlist, null, topo.vip)) {
    out.push({ node: 'director', verdict: 'FAIL', what: `the director's kernel owns the VIP ${topo.vip}: it would answer the clients itself (RST) next to uvs`, fix: `ip addr del ${topo.vip}/32 dev IFACE (uvs answers ARP for the VIP itself)` });
  }
  if (sysctlNum(dx, 'net.ipv4.ip_forward') === 1) {
    out.push({ node: 'director', verdict: 'warn', what: 'the director\'s kernel forwards (ip_forward=1): frames uvs forwards may be forwarded a second time', fix: 'sysctl -w net.ipv4.ip_forward=0' });
  }
  const d = st.director;
  if (d.pid !== null && pidAlive(d.pid) && existsSync(d.socket)) out.push({ node: 'director', verdict: 'ok', what: `uvs run is running (pid ${d.pid}), control socket ${d.socket}` });
  else out.push({ node: 'director', verdict: 'FAIL', what: `uvs run is not running${d.reason ? `: ${d.reason}` : ''}`, fix: d.pid ? `see ${d.log}` : 'uvs lab up MODE (without --no-director)' });
  for (const r of topo.rs) {
    const agentUp = st.procs.some((p) => p.node === r.name && p.what === 'rs-agent' && pidAlive(p.pid));
    out.push(agentUp
      ? { node: r.name, verdict: 'ok', what: 'agent serving HTTP/echo' }
      : { node: r.name, verdict: 'FAIL', what: 'the real-server agent is not running', fix: 'uvs lab up again' });
    out.push(...checkRealServer(r.netns, {
      node: r.name,
      mode: topo.mode,
      vip: topo.vip,
      client: topo.clientAddr,
      iface: r.iface,
      ...(topo.directorInsideAddr ? { directorInside: topo.directorInsideAddr } : { director: topo.directorAddr }),
      ...(topo.mode === 'tun' ? { decapDevs: [st.decap === 'kernel' ? 'tunl0' : 'ipip0'] } : {}),
    }));
  }
  if (d.pid !== null && pidAlive(d.pid)) {
    const r = run('ip', ['netns', 'exec', nsOf('client'), 'curl', '-s', '-m', '2', '-o', '/dev/null', '-w', '%{http_code} %header{x-real-server}', `http://${topo.vip}/`]);
    const [code, who] = r.stdout.trim().split(' ');
    if (r.code === 0 && code === '200') out.push({ node: 'client', verdict: 'ok', what: `http://${topo.vip}/ answered by ${who ?? '?'}` });
    else out.push({ node: 'client', verdict: 'FAIL', what: `http://${topo.vip}/ from the client failed (curl exit ${r.code}, status ${code || 'none'})`, fix: 'look at the findings above; uvs trace shows what the director does with each packet' });
  }
  return out;
}

export function runCheckOnLab(): Finding[] | null {
  const st = readState(labPaths());
  return st ? checkLab(st) : null;
}

export function formatFindings(list: Finding[]): string {
  const lines: string[] = [];
  for (const x of list) {
    lines.push(`${x.node.padEnd(9)} ${x.verdict.padEnd(4)}  ${x.what}`);
    if (x.fix && x.verdict !== 'ok') lines.push(`${' '.repeat(15)}fix: ${x.fix}`);
  }
  const fails = list.filter((x) => x.verdict === 'FAIL').length;
  const warns = list.filter((x) => x.verdict === 'warn').length;
  lines.push('', fails === 0 ? `no mistakes found${warns ? ` (${warns} warning${warns > 1 ? 's' : ''})` : ''}` : `${fails} problem${fails > 1 ? 's' : ''} found`);
  return lines.join('\n');
}
