// The lab's life cycle: build a topology (netns-lab/topology/*) into network namespaces, start the
// real-server agents, the userspace IP-in-IP decapsulators (TUN mode, when the kernel has no ipip)
// and the director (`uvs run` inside the director namespace); report it; tear it all down.
//
// Everything a lab makes is found again from two places, so `down` works after a crash too:
// namespaces named with the lab's prefix (`uvs-lab-` by default, `UVS_LAB=name` picks another), and
// the state directory /run/<name>/ (state.json with every PID started, rules, sockets, logs).
// `up` is idempotent: an identical lab already running is kept; anything else is torn down first.

import { mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LabError, must, run, ipn, nsRun, sysctl, spawnInNs, pidAlive, stopPids, waitFor,
} from './exec.js';
import {
  buildTopology, LAB_MODES, MAX_RS, type LabMode, type Topology,
} from './topology/index.js';
import { TUN_DECAP_DEV, TUN_INNER_MTU } from './topology/tun.js';
import { namespacePids } from './destroy-namespace.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, whether this runs built (dist/netns-lab/lab.js) or from source (tests). */
export const REPO_ROOT = here.endsWith(join('dist', 'netns-lab')) ? dirname(dirname(here)) : dirname(here);
/** The built code the lab starts in its namespaces (agents, decapsulators, `uvs run`). */
export const DIST_ROOT = join(REPO_ROOT, 'dist');

export const LAB_PORTS = { http: 80, https: 443, echo: 7 } as const;

export function labName(): string {
  const n = process.env['UVS_LAB'] ?? 'uvs-lab';
  if (!/^[a-z][a-z0-9-]{1,14}$/.test(n)) throw new LabError(`UVS_LAB='${n}': use 2-15 characters a-z, 0-9, '-'`);
  return n;
}

export interface LabPaths {
  name: string;
  prefix: string;
  stateDir: string;
  stateFile: string;
}

export function labPaths(name = labName()): LabPaths {
  const stateDir = join('/run', name);
  return { name, prefix: `${name}-`, stateDir, stateFile: join(stateDir, 'state.json') };
}

export interface UpOptions {
  mode: LabMode;
  rsCount: number;
  sched: string;
  /** -p seconds on every generated service; undefined = not persistent. */
  persist?: number;
  weights: number[];
  /** Use this ipvsadm rules file (-S form) instead of the generated one. */
  rulesFile?: string;
  /** Firewall-mark rules (iptables-save mangle syntax) passed to `uvs run --marks`. */
  marksFile?: string;
  /** Start the director (`uvs run`); false builds only namespaces and real servers. */
  director: boolean;
  /** Extra arguments for `uvs run`. */
  runArgs: string[];
  /** The switch ports that receive the director's frames do so in their own kernel thread
   * (LinkEnd.ownRxThread); not in TUN labs. */
  rxThreads?: boolean;
}

export interface ProcRecord {
  pid: number;
  node: string;
  what: 'rs-agent' | 'ipip-decap' | 'director';
  /** argv[1] of the process when started: checked before any signal, so a reused PID is never hit. */
  script: string;
}

export interface DirectorInfo {
  started: boolean;
  reason: string | null;
  pid: number | null;
  socket: string;
  rulesFile: string;
  marksFile: string | null;
  log: string;
}

export interface LabState {
  version: 1;
  name: string;
  mode: LabMode;
  options: UpOptions;
  topology: Topology;
  procs: ProcRecord[];
  director: DirectorInfo;
  decap: 'kernel' | 'userspace' | null;
  createdAt: string;
}

export function defaultUpOptions(mode: LabMode): UpOptions {
  return { mode, rsCount: 2, sched: 'rr', weights: [], director: true, runArgs: [] };
}

/** The ipvsadm rules (-S -n form) a lab starts with: HTTP, TCP echo and UDP echo on the VIP. */
export function generateRules(topo: Topology, o: UpOptions): string {
  const lines: string[] = [];
  const p = o.persist !== undefined ? ` -p ${o.persist}` : '';
  const services: [string, number][] = [['-t', LAB_PORTS.http], ['-t', LAB_PORTS.echo], ['-u', LAB_PORTS.echo]];
  for (const [proto, port] of services) {
    lines.push(`-A ${proto} ${topo.vip}:${port} -s ${o.sched}${p}`);
    for (const r of topo.rs) lines.push(`-a ${proto} ${topo.vip}:${port} -r ${r.rip}:${port} ${topo.fwdFlag} -w ${r.weight}`);
  }
  return lines.join('\n') + '\n';
}

export function uvsScript(): string { return join(DIST_ROOT, 'src', 'cli', 'uvs.js'); }
export function uvsadmScript(): string { return join(DIST_ROOT, 'src', 'cli', 'uvsadm.js'); }

/** Whether `uvs run` exists in this build (the director daemon). */
export function daemonAvailable(): boolean {
  return existsSync(join(DIST_ROOT, 'src', 'cli', 'commands', 'run.js'));
}

let kernelIpipCache: boolean | null = null;
/** Does this kernel have ipip? Tried in a throwaway namespace, never in the root one. */
export function kernelHasIpip(): boolean {
  if (kernelIpipCache !== null) return kernelIpipCache;
  const ns = `uvs-probe-${process.pid}`;
  run('ip', ['netns', 'add', ns]);
  try {
    kernelIpipCache = run('ip', ['-n', ns, 'link', 'add', 'probe0', 'type', 'ipip', 'local', '10.255.0.1', 'remote', '10.255.0.2']).code === 0;
  } finally {
    run('ip', ['netns', 'del', ns]);
  }
  return kernelIpipCache;
}

export function readState(paths = labPaths()): LabState | null {
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as LabState;
  } catch {
    return null;
  }
}

function writeState(paths: LabPaths, st: LabState): void {
  writeFileSync(paths.stateFile, JSON.stringify(st, null, 2) + '\n');
}

/** Namespaces that belong to this lab (by prefix), whatever made them. */
export function labNamespaces(prefix: string): string[] {
  const r = run('ip', ['netns', 'list']);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((n) => n.startsWith(prefix));
}

function procMatches(p: ProcRecord): boolean {
  try {
    const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(p.script);
  } catch {
    return false;
  }
}

/** Tear the lab down: recorded processes, anything still running inside its namespaces, the namespaces, the state dir. */
export async function down(paths = labPaths(), log: (s: string) => void = () => {}): Promise<{ namespaces: number; processes: number }> {
  const st = readState(paths);
  const pids: number[] = [];
  if (st) for (const p of st.procs) if (procMatches(p)) pids.push(p.pid);
  const namespaces = labNamespaces(paths.prefix);
  for (const ns of namespaces) pids.push(...namespacePids(ns));
  const unique = [...new Set(pids)].filter((p) => p !== process.pid);
  await stopPids(unique);
  for (const ns of namespaces) {
    const r = run('ip', ['netns', 'del', ns]);
    if (r.code !== 0) log(`could not delete namespace ${ns}: ${r.stderr.trim()}`);
  }
  rmSync(paths.stateDir, { recursive: true, force: true });
  return { namespaces: namespaces.length, processes: unique.length };
}

function sameOptions(a: UpOptions, b: UpOptions): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function validateUpOptions(o: UpOptions): void {
  if (!LAB_MODES.includes(o.mode)) throw new LabError(`unknown mode '${String(o.mode)}': use dr, nat or tun`);
  if (!Number.isInteger(o.rsCount) || o.rsCount < 1 || o.rsCount > MAX_RS) throw new LabError(`--rs must be 1..${MAX_RS}`);
  if (!/^[a-z]{1,8}$/.test(o.sched)) throw new LabError(`--sched '${o.sched}' is not a scheduler name`);
  if (o.persist !== undefined && (!Number.isInteger(o.persist) || o.persist < 1 || o.persist > 31536000)) throw new LabError('--persist must be 1..31536000 seconds');
  for (const w of o.weights) if (!Number.isInteger(w) || w < 0 || w > 65535) throw new LabError('--weights must be integers 0..65535');
  if (o.weights.length > o.rsCount) throw new LabError(`--weights gives ${o.weights.length} weights for ${o.rsCount} real servers`);
  if (o.rulesFile && !existsSync(o.rulesFile)) throw new LabError(`--rules ${o.rulesFile}: no such file`);
  if (o.marksFile && !existsSync(o.marksFile)) throw new LabError(`--marks ${o.marksFile}: no such file`);
  if (o.rxThreads && o.mode === 'tun') throw new LabError('--rx-threads: not in a TUN lab (it needs GRO on the switch port, which would merge the IP-in-IP frames the real servers\' decapsulator reads one by one)');
}

/** Build the namespaces, links, addresses, routes and sysctls of a topology. */
function buildNamespaces(topo: Topology): void {
  const byName = new Map(topo.nodes.map((n) => [n.name, n]));
  for (const n of topo.nodes) {
    must('ip', ['netns', 'add', n.netns]);
    ipn(n.netns, 'link', 'set', 'lo', 'up');
    // No IPv6 in the lab: no DAD, no router solicitations, nothing but the traffic we send.
    sysctl(n.netns, 'net.ipv6.conf.all.disable_ipv6', 1);
    sysctl(n.netns, 'net.ipv6.conf.default.disable_ipv6', 1);
    for (const br of n.bridges) {
      ipn(n.netns, 'link', 'add', br, 'type', 'bridge', 'stp_state', '0');
      ipn(n.netns, 'link', 'set', br, 'up');
    }
    // A switch does not filter: when the host has br_netfilter loaded, every bridged frame would
    // also run the switch namespace's iptables hooks (a sixth of the CPU of a DR request in a
    // perf profile), on whichever thread sent it: often the director's. Absent module: no keys.
    if (n.bridges.length > 0) {
      for (const k of ['iptables', 'ip6tables', 'arptables']) {
        const key = `net.bridge.bridge-nf-call-${k}`;
        if (run('ip', ['netns', 'exec', n.netns, 'sysctl', '-n', key]).code === 0) sysctl(n.netns, key, 0);
      }
    }
  }
  for (const l of topo.links) {
    const a = byName.get(l.a.node);
    const b = byName.get(l.b.node);
    if (!a || !b) throw new LabError(`topology: link to unknown node ${l.a.node}/${l.b.node}`);
    ipn(a.netns, 'link', 'add', l.a.ifname, 'type', 'veth', 'peer', 'name', l.b.ifname, 'netns', b.netns);
    if (l.bridge) ipn(b.netns, 'link', 'set', l.b.ifname, 'master', l.bridge);
    // Frames cross a raw-socket director: every sender whose frames can reach it must put full
    // checksums and MTU-sized frames on the wire (no TSO/GSO super-frames, no partial checksums,
    // no GRO merging); the topology says which ends keep their offloads (KeepOffloads).
    for (const [node, end] of [[a, l.a], [b, l.b]] as const) {
      const off: string[] = [];
      if (!end.keep?.tx) off.push('tx', 'off', 'tso', 'off', 'gso', 'off');
      if (!end.keep?.gro) off.push('gro', 'off');
      if (off.length) run('ip', ['netns', 'exec', node.netns, 'ethtool', '-K', end.ifname, ...off]);
      ipn(node.netns, 'link', 'set', end.ifname, 'up');
      // veth starts its NAPI when GRO is turned on while the link is up; then NAPI can be threaded.
      if (end.ownRxThread) {
        run('ip', ['netns', 'exec', node.netns, 'ethtool', '-K', end.ifname, 'gro', 'on']);
        const t = run('ip', ['netns', 'exec', node.netns, 'sh', '-c', `echo 1 > /sys/class/net/${end.ifname}/threaded`]);
        if (t.code !== 0) throw new LabError(`--rx-threads: cannot make ${node.name}/${end.ifname} receive in its own thread (threaded NAPI needs Linux 5.12 or later): ${t.stderr.trim()}`);
      }
    }
  }
  for (const n of topo.nodes) {
    for (const ifc of n.ifaces) {
      if (ifc.mtu) ipn(n.netns, 'link', 'set', ifc.name, 'mtu', String(ifc.mtu));
      for (const a of ifc.addrs) ipn(n.netns, 'addr', 'add', a, 'dev', ifc.name);
    }
    for (const a of n.loAddrs) ipn(n.netns, 'addr', 'add', a, 'dev', 'lo');
    for (const [k, v] of n.sysctls) sysctl(n.netns, k, v);
    for (const r of n.routes) ipn(n.netns, 'route', 'add', ...r);
  }
}

/** Kernel ipip on a TUN real server: the wildcard tunl0 device takes every proto-4 packet. */
function setupKernelIpip(ns: string): void {
  if (run('ip', ['-n', ns, 'link', 'show', 'tunl0']).code !== 0) ipn(ns, 'link', 'add', 'tunl0', 'type', 'ipip');
  ipn(ns, 'link', 'set', 'tunl0', 'mtu', String(TUN_INNER_MTU), 'up');
  sysctl(ns, 'net.ipv4.conf.tunl0.rp_filter', 0);
}

export interface UpResult {
  state: LabState;
  reused: boolean;
}

/** `uvs lab up`: idempotent. */
export async function up(o: UpOptions, paths = labPaths(), log: (s: string) => void = () => {}): Promise<UpResult> {
  validateUpOptions(o);
  const old = readState(paths);
  if (old && sameOptions(old.options, o) && old.procs.every((p) => pidAlive(p.pid) && procMatches(p))
      && labNamespaces(paths.prefix).length === old.topology.nodes.length) {
    return { state: old, reused: true };
  }
  await down(paths, log);
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  const topo = buildTopology(o.mode, { mode: o.mode, prefix: paths.prefix, rsCount: o.rsCount, weights: o.weights, rxThreads: o.rxThreads === true });
  const st: LabState = {
    version: 1,
    name: paths.name,
    mode: o.mode,
    options: o,
    topology: topo,
    procs: [],
    director: {
      started: false,
      reason: null,
      pid: null,
      socket: join(paths.stateDir, 'director.sock'),
      rulesFile: join(paths.stateDir, 'rules.ipvsadm'),
      marksFile: o.marksFile ? join(paths.stateDir, 'marks.rules') : null,
      log: join(paths.stateDir, 'director.log'),
    },
    decap: null,
    createdAt: new Date().toISOString(),
  };
  // Written first, so a crash half-way is still cleaned by `down`.
  writeState(paths, st);
  try {
    buildNamespaces(topo);
    if (o.mode === 'tun') st.decap = kernelHasIpip() ? 'kernel' : 'userspace';
    const agent = join(DIST_ROOT, 'netns-lab', 'rs-agent.js');
    const decap = join(DIST_ROOT, 'netns-lab', 'ipip-decap.js');
    if (!existsSync(agent)) throw new LabError(`${agent} is missing: build first (npm run build)`);
    for (const r of topo.rs) {
      if (st.decap === 'kernel') setupKernelIpip(r.netns);
      if (st.decap === 'userspace') {
        const ready = join(paths.stateDir, `${r.name}.decap.ready`);
        const pid = spawnInNs(r.netns, process.execPath, [decap, '--dev', TUN_DECAP_DEV, '--mtu', String(TUN_INNER_MTU), '--ready', ready],
          join(paths.stateDir, `${r.name}.decap.log`));
        st.procs.push({ pid, node: r.name, what: 'ipip-decap', script: decap });
      }
      const ready = join(paths.stateDir, `${r.name}.ready`);
      const pid = spawnInNs(r.netns, process.execPath, [agent, '--name', r.name, '--addr', r.rip, '--ready', ready],
        join(paths.stateDir, `${r.name}.log`));
      st.procs.push({ pid, node: r.name, what: 'rs-agent', script: agent });
    }
    writeState(paths, st);
    const readyFiles = topo.rs.map((r) => join(paths.stateDir, `${r.name}.ready`));
    if (st.decap === 'userspace') readyFiles.push(...topo.rs.map((r) => join(paths.stateDir, `${r.name}.decap.ready`)));
    const ok = await waitFor(() => readyFiles.every((f) => existsSync(f)) || st.procs.some((p) => !pidAlive(p.pid)), 10_000);
    const dead = st.procs.filter((p) => !pidAlive(p.pid));
    if (!ok || dead.length > 0) {
      const which = dead.length ? dead.map((p) => `${p.what} on ${p.node}`).join(', ') : 'real-server agents';
      throw new LabError(`${which} did not start; see the logs in ${paths.stateDir}: ${tailLogs(paths, dead)}`);
    }
    writeFileSync(st.director.rulesFile, o.rulesFile ? readFileSync(o.rulesFile, 'utf8') : generateRules(topo, o));
    if (o.marksFile && st.director.marksFile) writeFileSync(st.director.marksFile, readFileSync(o.marksFile, 'utf8'));
    if (o.director) await startDirector(st, paths);
    else st.director.reason = 'not requested (--no-director)';
    writeState(paths, st);
    return { state: st, reused: false };
  } catch (e) {
    writeState(paths, st);
    await down(paths, log);
    throw e;
  }
}

function tailLogs(paths: LabPaths, procs: ProcRecord[]): string {
  const out: string[] = [];
  for (const f of existsSync(paths.stateDir) ? readdirSync(paths.stateDir) : []) {
    if (!f.endsWith('.log')) continue;
    if (procs.length && !procs.some((p) => f.startsWith(p.what === 'director' ? 'director' : p.node))) continue;
    const text = readFileSync(join(paths.stateDir, f), 'utf8').trim().split('\n').slice(-3).join(' | ');
    if (text) out.push(`${f}: ${text}`);
  }
  return out.join('; ') || '(no output)';
}

/** Start `uvs run` in the director namespace and wait for its control socket. */
export async function startDirector(st: LabState, paths = labPaths()): Promise<void> {
  const topo = st.topology;
  if (!daemonAvailable()) {
    st.director.reason = 'uvs run is not built yet (dist/src/cli/commands/run.js missing)';
    return;
  }
  const args = [uvsScript(), 'run', '--iface', topo.directorIface];
  if (topo.directorInsideIface) args.push('--inside-iface', topo.directorInsideIface);
  args.push('--rules', st.director.rulesFile, '--socket', st.director.socket);
  if (st.director.marksFile) args.push('--marks', st.director.marksFile);
  args.push(...st.options.runArgs);
  rmSync(st.director.socket, { force: true });
  const dirNode = topo.nodes.find((n) => n.role === 'director')!;
  const pid = spawnInNs(dirNode.netns, process.execPath, args, st.director.log);
  st.procs.push({ pid, node: 'director', what: 'director', script: uvsScript() });
  st.director.pid = pid;
  writeState(paths, st);
  const ok = await waitFor(() => existsSync(st.director.socket) || !pidAlive(pid), 15_000);
  if (!ok || !pidAlive(pid)) {
    const tail = existsSync(st.director.log) ? readFileSync(st.director.log, 'utf8').trim().split('\n').slice(-5).join('\n  ') : '';
    throw new LabError(`the director (uvs ${args.slice(1).join(' ')}) ${pidAlive(pid) ? 'did not open its control socket within 15 s' : 'exited'}:\n  ${tail}`);
  }
  st.director.started = true;
  st.director.reason = null;
}

export interface StatusNode {
  name: string;
  role: string;
  netns: string;
  addrs: string[];
  ifaces: { name: string; addrs: string[]; mac: string | null; mtu: number | null }[];
  vipOnLo?: boolean;
  rip?: string;
  weight?: number;
  gateway?: string;
}

export interface LabStatus {
  name: string;
  mode: LabMode;
  vip: string;
  up: boolean;
  sched: string;
  fwd: string;
  client: string;
  director: { netns: string; iface: string; insideIface: string | null; addr: string; socket: string; pid: number | null; running: boolean; reason: string | null };
  decap: 'kernel' | 'userspace' | null;
  ports: typeof LAB_PORTS;
  nodes: StatusNode[];
}

interface IpJsonAddr { ifname: string; mtu?: number; address?: string; addr_info?: { family: string; local: string; prefixlen: number }[] }

export function status(paths = labPaths()): LabStatus | null {
  const st = readState(paths);
  if (!st) return null;
  const topo = st.topology;
  const existing = new Set(labNamespaces(paths.prefix));
  const nodes: StatusNode[] = [];
  for (const n of topo.nodes) {
    const node: StatusNode = { name: n.name, role: n.role, netns: n.netns, addrs: [], ifaces: [] };
    if (existing.has(n.netns)) {
      const r = run('ip', ['-n', n.netns, '-j', 'addr', 'show']);
      let parsed: IpJsonAddr[] = [];
      try { parsed = JSON.parse(r.stdout) as IpJsonAddr[]; } catch { parsed = []; }
      for (const i of parsed) {
        const v4 = (i.addr_info ?? []).filter((a) => a.family === 'inet');
        if (i.ifname === 'lo') {
          const vip = v4.some((a) => a.local === topo.vip);
          if (n.role === 'rs') node.vipOnLo = vip;
          continue;
        }
        node.ifaces.push({ name: i.ifname, addrs: v4.map((a) => `${a.local}/${a.prefixlen}`), mac: i.address ?? null, mtu: i.mtu ?? null });
        for (const a of v4) node.addrs.push(a.local);
      }
    }
    const rs = topo.rs.find((r) => r.name === n.name);
    if (rs) { node.rip = rs.rip; node.weight = rs.weight; node.gateway = rs.gateway; }
    nodes.push(node);
  }
  const dirNode = topo.nodes.find((n) => n.role === 'director')!;
  const running = st.director.pid !== null && pidAlive(st.director.pid);
  return {
    name: st.name,
    mode: st.mode,
    vip: topo.vip,
    up: topo.nodes.every((n) => existing.has(n.netns)),
    sched: st.options.sched,
    fwd: topo.fwdName,
    client: topo.clientAddr,
    director: {
      netns: dirNode.netns,
      iface: topo.directorIface,
      insideIface: topo.directorInsideIface ?? null,
      addr: topo.directorAddr,
      socket: st.director.socket,
      pid: st.director.pid,
      running,
      reason: running ? null : (st.director.reason ?? (st.director.pid ? 'exited' : 'not started')),
    },
    decap: st.decap,
    ports: LAB_PORTS,
    nodes,
  };
}

/** The namespace of a node by its name (client, router, switch, director, rs1...). */
export function nodeNetns(st: LabState, node: string): string {
  const n = st.topology.nodes.find((x) => x.name === node || x.netns === node);
  if (!n) throw new LabError(`no node '${node}' in the lab (nodes: ${st.topology.nodes.map((x) => x.name).join(', ')})`);
  return n.netns;
}

/** Resolve `uvs`/`uvsadm` to this build so `uvs lab exec director -- uvsadm -L -n` just works. */
export function resolveLabCommand(cmd: string[]): string[] {
  const [c, ...rest] = cmd;
  if (c === 'uvsadm') return [process.execPath, uvsadmScript(), ...rest];
  if (c === 'uvs') return [process.execPath, uvsScript(), ...rest];
  return cmd;
}

export { nsRun };
