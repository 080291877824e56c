// `uvs lab`: DR/NAT/TUN clusters in network namespaces (netns-lab/).
//   uvs lab up|down|status|exec|check|demo ...: USAGE below (what an error prints); --help prints HELP.
// UVS_LAB=NAME picks another lab (namespaces NAME-*, state in /run/NAME/); default uvs-lab.

import { spawnSync } from 'node:child_process';
import {
  up, down, status, readState, labPaths, nodeNetns, resolveLabCommand, defaultUpOptions,
  type UpOptions,
} from '../../../netns-lab/lab.js';
import { LabError } from '../../../netns-lab/exec.js';
import { LAB_MODES, type LabMode } from '../../../netns-lab/topology/index.js';
import { checkLab, checkRealServer, formatFindings } from '../../../netns-lab/check.js';
import { formatHelp, wantsHelp } from '../help.js';

const USAGE = `Usage:
  uvs lab up dr|nat|tun [--rs N] [--sched NAME] [--persist SECS] [--weights 3,1,...]
                        [--rules FILE] [--marks FILE] [--no-director] [--run-arg ARG ...] [--rx-threads] [--json]
  uvs lab down
  uvs lab status [--json]
  uvs lab exec NODE -- CMD [ARGS...]      (NODE: client, router, switch, director, rs1, ...)
  uvs lab check [--json]                  (the running lab)
  uvs lab check --here --mode dr|nat|tun --vip IP [--client IP] [--gateway IP] [--director IP] [--iface IF]
  uvs lab demo dr|nat|tun [the options of up but --json] [--requests N] [--keep]
Environment: UVS_LAB=NAME runs another lab side by side (namespaces NAME-*, state /run/NAME/).`;

/** Demo defaults when none of --rs, --weights, --sched is given (see cmdDemo()). */
const DEMO_WEIGHTS = [3, 2, 1];
const DEMO_REQUESTS = 12;
const CHECK_CLIENT = '198.51.100.1';

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

/** The options parse() accepts: with a value, and without. Anything else starting with -- is refused. */
export const LAB_VALUE_FLAGS: ReadonlySet<string> = new Set(['--rs', '--sched', '--persist', '--weights', '--rules', '--marks', '--requests', '--mode', '--vip', '--client', '--gateway', '--director', '--iface', '--run-arg']);
export const LAB_BOOLEAN_FLAGS: ReadonlySet<string> = new Set(['--json', '--no-director', '--keep', '--here', '--rx-threads']);

const DEFAULT_UP = defaultUpOptions('dr');

export const HELP = formatHelp(USAGE, [
  { flag: '--rs N', text: `up, demo: number of real servers (default ${DEFAULT_UP.rsCount}, or one per --weights entry if more)` },
  { flag: '--sched NAME', text: `up, demo: scheduler of the generated services (default ${DEFAULT_UP.sched}; wrr when --weights is given)` },
  { flag: '--persist SECS', text: 'up, demo: make the generated services persistent (-p SECS) (default: not persistent)' },
  { flag: '--weights W,W,...', text: 'up, demo: real server weights in order (default 1 each)' },
  { flag: '--rules FILE', text: 'up, demo: ipvsadm -S rules for the director instead of the generated HTTP/echo services' },
  { flag: '--marks FILE', text: 'up, demo: iptables-save MARK rules given to the director\'s uvs run --marks (default: none)' },
  { flag: '--no-director', text: 'up, demo: build the namespaces and real servers without starting uvs run' },
  { flag: '--run-arg ARG', text: 'up, demo: one more argument for the director\'s uvs run, repeatable (default: none)' },
  { flag: '--rx-threads', text: 'up, demo: the switch ports toward the director receive in their own kernel thread, as another machine would (dr, nat; default: inside the sender\'s transmit, as veth does)' },
  { flag: '--json', text: 'up, status, check: print JSON instead of text' },
  { flag: '--requests N', text: `demo: HTTP GETs sent, each on a new connection, 1..1000 (default ${DEMO_REQUESTS})` },
  { flag: '--keep', text: 'demo: leave the lab up afterwards (default: torn down, also on failure)' },
  { flag: '--here', text: 'check: check this host as a real server instead of the running lab' },
  { flag: '--mode dr|nat|tun', text: 'check --here: the forwarding method (up and demo take it too, instead of the positional)' },
  { flag: '--vip IP', text: 'check --here: the VIP the real server must hold on lo (required for dr and tun)' },
  { flag: '--client IP', text: `check --here: a client address to route toward (default ${CHECK_CLIENT})` },
  { flag: '--gateway IP', text: 'check --here: nat: the director\'s inside address, the real server\'s gateway (required for nat)' },
  { flag: '--director IP', text: 'check --here: dr/tun: the director\'s address, which replies must not be routed through (default: not checked)' },
  { flag: '--iface IF', text: 'check --here: the interface facing the director or network (default: the one routing to --client)' },
], [
  `demo without --rs, --weights or --sched: ${DEMO_WEIGHTS.length} real servers, wrr, weights ${DEMO_WEIGHTS.join(',')}.`,
  'Every sub-command needs root (network namespaces).',
]);

class UsageError extends Error {}

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
      if (LAB_VALUE_FLAGS.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new LabError(`${name} needs a value`);
        flags.set(name, name === '--run-arg' && flags.has(name) ? `${String(flags.get(name))}\u0000${v}` : v);
      } else if (LAB_BOOLEAN_FLAGS.has(a)) {
        flags.set(a, true);
      } else {
        throw new UsageError(`unknown option '${a}'`);
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
  if (p.flags.has('--rx-threads')) o.rxThreads = true;
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
      client: strFlag(p, '--client') ?? CHECK_CLIENT,
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
    o.rsCount = DEMO_WEIGHTS.length;
    o.sched = 'wrr';
    o.weights = [...DEMO_WEIGHTS];
  }
  return demo(o, { requests: intFlag(p, '--requests') ?? DEMO_REQUESTS, keep: p.flags.has('--keep') });
}

export async function run(argv: string[]): Promise<number> {
  // A reader that goes away (`uvs lab demo | head`) must not kill us before teardown runs:
  // swallow EPIPE on stdout and let the finally blocks remove what the lab made.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  if (wantsHelp(argv) || argv[0] === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    const p = parse(argv);
    const sub = p.positional[0];
    if (process.getuid && process.getuid() !== 0 && sub !== undefined) {
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
    if (e instanceof UsageError) {
      process.stderr.write(`uvs lab: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`uvs lab: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
