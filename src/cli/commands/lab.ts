// `uvs lab`: DR/NAT/TUN clusters in network namespaces (netns-lab/).
//   uvs lab up dr|nat|tun [--rs N] [--sched NAME] [--persist SECS] [--weights 3,1,...]
//                         [--rules FILE] [--marks FILE] [--no-director] [--json]
//   uvs lab down
//   uvs lab status [--json]
//   uvs lab exec NODE -- CMD [ARGS...]
//   uvs lab check [--json]
//   uvs lab check --here --mode dr|nat|tun --vip IP [--client IP] [--gateway IP] [--director IP] [--iface IF]
//   uvs lab demo dr|nat|tun [--rs N] [--sched NAME] [--weights ...] [--requests N] [--keep]
// UVS_LAB=NAME picks another lab (namespaces NAME-*, state in /run/NAME/); default uvs-lab.

import { spawnSync } from 'node:child_process';
import {
  up, down, status, readState, labPaths, nodeNetns, resolveLabCommand, defaultUpOptions,
  type UpOptions,
} from '../../../netns-lab/lab.js';
import { LabError } from '../../../netns-lab/exec.js';
import { LAB_MODES, type LabMode } from '../../../netns-lab/topology/index.js';
import { checkLab, checkRealServer, formatFindings } from '../../../netns-lab/check.js';

const USAGE = `Usage:
  uvs lab up dr|nat|tun [--rs N] [--sched NAME] [--persist SECS] [--weights 3,1,...]
                        [--rules FILE] [--marks FILE] [--no-director] [--json]
  uvs lab down
  uvs lab status [--json]
  uvs lab exec NODE -- CMD [ARGS...]      (NODE: client, router, switch, director, rs1, ...)
  uvs lab check [--json]                  (the running lab)
  uvs lab check --here --mode dr|nat|tun --vip IP [--client IP] [--gateway IP] [--director IP] [--iface IF]
  uvs lab demo dr|nat|tun [--rs N] [--sched NAME] [--weights ...] [--requests N] [--keep]
Environment: UVS_LAB=NAME runs another lab side by side (namespaces NAME-*, state /run/NAME/).`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

const VALUE_FLAGS = new Set(['--rs', '--sched', '--persist', '--weights', '--rules', '--marks', '--requests', '--mode', '--vip', '--client', '--gateway', '--director', '--iface', '--run-arg']);

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { rest = argv.slice(i + 1); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (VALUE_FLAGS.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new LabError(`${name} needs a value`);
        flags.set(name, name === '--run-arg' && flags.has(name) ? `${String(flags.get(name))}\u0000${v}` : v);
      } else {
        flags.set(name, true);
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, flags, rest };
}

function intFlag(p: Parsed, name: string): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return undefined;
  if (v === true || !/^\d+$/.test(v)) throw new LabError(`${name} must be a whole number`);
  return Number(v);
}

function strFlag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function modeArg(p: Parsed, i: number): LabMode {
  const m = p.positional[i] ?? strFlag(p, '--mode');
  if (!m || !LAB_MODES.includes(m as LabMode)) throw new LabError(`which mode? dr, nat or tun (got ${m ?? 'nothing'})`);
  return m as LabMode;
}

export function upOptionsFrom(p: Parsed, mode: LabMode): UpOptions {
  const o = defaultUpOptions(mode);
  const rs = intFlag(p, '--rs');
  const weightsText = strFlag(p, '--weights');
  if (weightsText !== undefined) {
    if (!/^\d+(,\d+)*$/.test(weightsText)) throw new LabError('--weights takes comma-separated whole numbers, e.g. 3,1');
    o.weights = weightsText.split(',').map(Number);
  }
  o.rsCount = rs ?? Math.max(2, o.weights.length);
  const sched = strFlag(p, '--sched');
  if (sched) o.sched = sched;
  else if (o.weights.length > 0) o.sched = 'wrr';
  const persist = intFlag(p, '--persist');
  if (persist !== undefined) o.persist = persist;
  const rules = strFlag(p, '--rules');
  if (rules) o.rulesFile = rules;
  const marks = strFlag(p, '--marks');
  if (marks) o.marksFile = marks;
  if (p.flags.has('--no-director')) o.director = false;
  const runArgs = strFlag(p, '--run-arg');
  if (runArgs) o.runArgs = runArgs.split('\u0000');
  return o;
}

function say(s: string): void { process.stdout.write(s + '\n'); }

async function cmdUp(p: Parsed): Promise<number> {
  const o = upOptionsFrom(p, modeArg(p, 1));
  const paths = labPaths();
  const t0 = Date.now();
  const { state, reused } = await up(o, paths, (s) => process.stderr.write(`uvs lab: ${s}\n`));
  if (p.flags.has('--json')) {
    say(JSON.stringify(status(paths)));
    return 0;
  }
  const topo = state.topology;
  say(`${reused ? 'already up' : `up in ${((Date.now() - t0) / 1000).toFixed(1)} s`}: ${topo.mode.toUpperCase()} lab '${state.name}', VIP ${topo.vip}, ${topo.rs.length} real servers${state.decap ? `, IP-in-IP decapsulated by ${state.decap === 'kernel' ? 'the kernel (tunl0)' : 'netns-lab/ipip-decap (userspace, kernel has no ipip)'}` : ''}`);
  for (const l of topo.diagram) say(l);
  if (state.director.started) {
    say(`director: uvs run (pid ${state.director.pid ?? '?'}), rules ${state.director.rulesFile}`);
    say(`  uvsadm --socket ${state.director.socket} -L -n      (or: uvs lab exec director -- uvsadm -L -n)`);
  } else {
    say(`director: not started: ${state.director.reason ?? 'unknown'}`);
  }
  say(`try: uvs lab exec client -- curl -s http://${topo.vip}/     then: uvs lab down`);
  return 0;
}

async function cmdDown(): Promise<number> {
  const r = await down(labPaths(), (s) => process.stderr.write(`uvs lab: ${s}\n`));
  say(r.namespaces === 0 && r.processes === 0 ? 'nothing to remove' : `removed ${r.namespaces} namespaces, stopped ${r.processes} processes`);
  return 0;
}

function cmdStatus(p: Parsed): number {
  const s = status(labPaths());
  if (!s) {
    if (p.flags.has('--json')) say('null');
    else say(`no lab '${labPaths().name}' is up (uvs lab up dr|nat|tun)`);
    return 1;
  }
  if (p.flags.has('--json')) { say(JSON.stringify(s)); return 0; }
  say(`${s.mode.toUpperCase()} lab '${s.name}' ${s.up ? 'up' : 'INCOMPLETE (run uvs lab down)'}: VIP ${s.vip}, scheduler ${s.sched}, forwarding ${s.fwd}`);
  say(`director: ${s.director.running ? `running, pid ${s.director.pid ?? '?'}, socket ${s.director.socket}` : `not running (${s.director.reason ?? '?'})`}`);
  for (const n of s.nodes) {
    if (n.role === 'switch') {
      const bridges = n.ifaces.filter((i) => i.name.startsWith('br'));
      say(`  ${n.name.padEnd(9)} ${n.netns.padEnd(20)} bridge${bridges.length > 1 ? 's' : ''} ${bridges.map((b) => b.name).join(', ')}; ports ${n.ifaces.filter((i) => !i.name.startsWith('br')).map((i) => i.name).join(', ')}`);
      continue;
    }
    const extra = n.role === 'rs' ? `  weight ${n.weight ?? 1}, gateway ${n.gateway ?? '?'}${n.vipOnLo ? ', VIP on lo' : ''}` : '';
    say(`  ${n.name.padEnd(9)} ${n.netns.padEnd(20)} ${n.ifaces.map((i) => `${i.name} ${i.addrs.join(',') || '-'}`).join('  ')}${extra}`);
  }
  return 0;
}

function cmdExec(p: Parsed): number {
  const node = p.positional[1];
  if (!node || p.rest.length === 0) throw new LabError('usage: uvs lab exec NODE -- CMD [ARGS...]');
  const paths = labPaths();
  const st = readState(paths);
  if (!st) throw new LabError(`no lab '${paths.name}' is up`);
  const ns = nodeNetns(st, node);
  const cmd = resolveLabCommand(p.rest);
  const r = spawnSync('ip', ['netns', 'exec', ns, ...cmd], {
    stdio: 'inherit',
    env: { ...process.env, UVS_SOCKET: st.director.socket },
  });
  if (r.error) throw new LabError(`${cmd[0] ?? ''}: ${r.error.message}`);
  return r.status ?? 1;
}

function cmdCheck(p: Parsed): number {
  if (p.flags.has('--here')) {
    const mode = modeArg(p, 1);
    const vip = strFlag(p, '--vip');
    if (!vip && mode !== 'nat') throw new LabError('--here needs --vip IP');
    const gateway = strFlag(p, '--gateway');
    if (mode === 'nat' && !gateway) throw new LabError('--here --mode nat needs --gateway DIRECTOR_INSIDE_IP');
    const iface = strFlag(p, '--iface');
    const findings = checkRealServer(null, {
      node: 'this host',
      mode,
      vip: vip ?? '0.0.0.0',
      client: strFlag(p, '--client') ?? '198.51.100.1',
      ...(gateway ? { directorInside: gateway } : {}),
      ...(strFlag(p, '--director') ? { director: strFlag(p, '--director')! } : {}),
      ...(iface ? { iface } : {}),
    });
    if (p.flags.has('--json')) say(JSON.stringify(findings));
    else say(formatFindings(findings));
    return findings.some((f) => f.verdict === 'FAIL') ? 1 : 0;
  }
  const paths = labPaths();
  const st = readState(paths);
  if (!st) throw new LabError(`no lab '${paths.name}' is up (or use --here on a real server)`);
  const findings = checkLab(st);
  if (p.flags.has('--json')) say(JSON.stringify(findings));
  else say(formatFindings(findings));
  return findings.some((f) => f.verdict === 'FAIL') ? 1 : 0;
}

async function cmdDemo(p: Parsed): Promise<number> {
  const mode = modeArg(p, 1);
  const { demo } = await import('../../../netns-lab/demo.js');
  const o = upOptionsFrom(p, mode);
  if (!p.flags.has('--rs') && !p.flags.has('--weights') && !p.flags.has('--sched')) {
    o.rsCount = 3;
    o.sched = 'wrr';
    o.weights = [3, 2, 1];
  }
  return demo(o, { requests: intFlag(p, '--requests') ?? 12, keep: p.flags.has('--keep') });
}

export async function run(argv: string[]): Promise<number> {
  // A reader that goes away (`uvs lab demo | head`) must not kill us before teardown runs:
  // swallow EPIPE on stdout and let the finally blocks remove what the lab made.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  try {
    const p = parse(argv);
    const sub = p.positional[0];
    if (process.getuid && process.getuid() !== 0 && sub !== undefined && sub !== 'help') {
      throw new LabError('the lab creates network namespaces: run it as root');
    }
    switch (sub) {
      case 'up': return await cmdUp(p);
      case 'down': return await cmdDown();
      case 'status': return cmdStatus(p);
      case 'exec': return cmdExec(p);
      case 'check': return cmdCheck(p);
      case 'demo': return await cmdDemo(p);
      default:
        process.stderr.write(`${sub ? `uvs lab: unknown sub-command '${sub}'\n` : ''}${USAGE}\n`);
        return 2;
    }
  } catch (e) {
    process.stderr.write(`uvs lab: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
