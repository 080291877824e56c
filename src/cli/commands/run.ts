// `uvs run`: the live director. Parses the options (DESIGN.md §4), then hands over to the daemon
// (src/daemon/daemon.ts), which runs until SIGTERM/SIGINT; SIGHUP re-reads the rules, keepalived
// and marks files (a broken one is refused and the running table kept).
//
// USAGE below is what an option error prints; `uvs run --help` prints HELP: what each option does
// and its default.

import { Daemon, defaultOptions, loadEngineNames, type RunOptions } from '../../daemon/daemon.js';
import { DEFAULT_SOCKET_PATH } from '../../control/protocol.js';
import { formatHelp, wantsHelp } from '../help.js';

export const USAGE = `Usage: uvs run --iface IF [--inside-iface IF] [--rules FILE | --keepalived FILE] [--marks FILE]
               [--io afpacket|pcap] [--afpacket-mode ring|ringrx|mmsg] [--ring-frames N] [--max-conns N] [--batch N]
               [--socket PATH] [--metrics HOST:PORT] [--neigh IP=MAC ...] [--main-nice N]
               [--log-level LEVEL] [--keep-offloads]`;

/** The options that take a value, and those that do not: what parseRunArgs() accepts. */
export const RUN_VALUE_FLAGS: ReadonlySet<string> = new Set(['--iface', '--inside-iface', '--rules', '--keepalived', '--marks', '--io', '--afpacket-mode', '--ring-frames', '--max-conns', '--batch', '--socket', '--metrics', '--neigh', '--main-nice', '--log-level']);
export const RUN_BOOLEAN_FLAGS: ReadonlySet<string> = new Set(['--keep-offloads']);

const DEFAULTS = defaultOptions();

export const HELP = formatHelp(USAGE, [
  { flag: '--iface IF', text: 'interface uvs reads and sends on, the VIPs\' side; required' },
  { flag: '--inside-iface IF', text: 'a second interface, toward NAT real servers; each keeps its own MAC and MTU (default: none)' },
  { flag: '--rules FILE', text: 'ipvsadm -S rules to start with, re-read on SIGHUP (default: empty table, filled by uvsadm)' },
  { flag: '--keepalived FILE', text: 'keepalived.conf: virtual servers and health checks, re-read on SIGHUP; not with --rules' },
  { flag: '--marks FILE', text: 'iptables-save mangle MARK rules for fwmark services, re-read on SIGHUP (default: none)' },
  { flag: '--io afpacket|pcap', text: `packet I/O: afpacket (native addon) or pcap (libpcap, on the main thread) (default ${DEFAULTS.io})` },
  { flag: '--afpacket-mode ring|ringrx|mmsg', text: `afpacket kernel interface: rx+tx ring, rx ring + sendmmsg, or recvmmsg/sendmmsg (default ${DEFAULTS.mode})` },
  { flag: '--ring-frames N', text: `afpacket ring modes: frames in each interface's rx (and tx) ring, 64..65536, 2 KiB each, in blocks of 32; a burst beyond it while the worker is busy is dropped by the kernel (\`uvs status\`: io drops kernel) (default ${DEFAULTS.ringFrames})` },
  { flag: '--max-conns N', text: `connection table size, 16..${1 << 26} (default ${DEFAULTS.maxConns})` },
  { flag: '--batch N', text: `frames per receive/send batch, 1..1024 (default ${DEFAULTS.batch})` },
  { flag: '--socket PATH', text: `control socket for uvsadm and uvs trace (default $UVS_SOCKET, else ${DEFAULT_SOCKET_PATH})` },
  { flag: '--metrics HOST:PORT', text: 'serve Prometheus metrics at http://HOST:PORT/metrics; HOST defaults to 127.0.0.1 (default: off)' },
  { flag: '--neigh IP=MAC', text: 'a static next-hop MAC, repeatable (default: learned by ARP)' },
  { flag: '--main-nice N', text: `nice of the main thread (health checks, control) below the datapath worker, -20..19; 0 leaves it; not with --io pcap (default ${DEFAULTS.mainNice})` },
  { flag: '--log-level LEVEL', text: 'trace, debug, info, warn, error, fatal or silent; JSON lines on stderr (default $UVS_LOG_LEVEL, else info)' },
  { flag: '--keep-offloads', text: 'leave GRO/GSO/TSO/LRO/tx-checksum offloads as they are (default: off on the driven interfaces, restored at a clean stop)' },
], ['Signals: SIGHUP re-reads --rules/--keepalived/--marks (a broken file is refused, the running table kept); SIGTERM/SIGINT stop.']);

/** Parses argv into RunOptions, or returns an error text. */
export function parseRunArgs(argv: string[], env: Record<string, string | undefined> = process.env): RunOptions | string {
  const o = defaultOptions();
  if (env.UVS_SOCKET) o.socket = env.UVS_SOCKET;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let v: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const need = (): string | null => {
      if (v !== undefined) return v;
      const n = argv[i + 1];
      if (n === undefined) return null;
      i++;
      return n;
    };
    if (!RUN_VALUE_FLAGS.has(a) && !RUN_BOOLEAN_FLAGS.has(a)) return `uvs run: unknown option '${a}'\n${USAGE}`;
    const val = RUN_BOOLEAN_FLAGS.has(a) ? '' : need();
    if (val === null) return `uvs run: option ${a} needs a value`;
    switch (a) {
      case '--iface': o.iface = val; break;
      case '--inside-iface': o.insideIface = val; break;
      case '--rules': o.rules = val; break;
      case '--keepalived': o.keepalived = val; break;
      case '--marks': o.marks = val; break;
      case '--io':
        if (val !== 'afpacket' && val !== 'pcap') return `uvs run: --io must be afpacket or pcap, not '${val}'`;
        o.io = val;
        break;
      case '--afpacket-mode':
        if (val !== 'ring' && val !== 'mmsg' && val !== 'ringrx') return `uvs run: --afpacket-mode must be ring, ringrx or mmsg, not '${val}'`;
        o.mode = val;
        break;
      case '--max-conns': {
        const n = Number(val);
        if (!Number.isInteger(n) || n < 16 || n > 1 << 26) return `uvs run: --max-conns must be an integer between 16 and ${1 << 26}`;
        o.maxConns = n;
        break;
      }
      case '--ring-frames': {
        const n = Number(val);
        if (!Number.isInteger(n) || n < 64 || n > 65536) return 'uvs run: --ring-frames must be an integer between 64 and 65536';
        o.ringFrames = n;
        break;
      }
      case '--batch': {
        const n = Number(val);
        if (!Number.isInteger(n) || n < 1 || n > 1024) return 'uvs run: --batch must be an integer between 1 and 1024';
        o.batch = n;
        break;
      }
      case '--socket': o.socket = val; break;
      case '--metrics': o.metrics = val; break;
      case '--neigh': o.neigh.push(val); break;
      case '--main-nice': {
        const n = Number(val);
        if (!Number.isInteger(n) || n < -20 || n > 19) return 'uvs run: --main-nice must be an integer between -20 and 19 (0 leaves the main thread as it is)';
        o.mainNice = n;
        break;
      }
      case '--log-level': o.logLevel = val; break;
      case '--keep-offloads': o.keepOffloads = true; break;
      default:
        return `uvs run: unknown option '${a}'\n${USAGE}`;
    }
  }
  if (!o.iface) return `uvs run: --iface is required\n${USAGE}`;
  if (o.rules && o.keepalived) return 'uvs run: --rules and --keepalived cannot be used together';
  if (o.insideIface === o.iface) return 'uvs run: --inside-iface must differ from --iface';
  return o;
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(HELP);
    return 0;
  }
  const o = parseRunArgs(argv);
  if (typeof o === 'string') {
    process.stderr.write(o + '\n');
    return 2;
  }
  await loadEngineNames();
  const d = new Daemon(o);
  d.installSignals();
  try {
    await d.start();
  } catch (err) {
    const e = err as Error & { code?: string };
    d.log.error({ code: e.code }, e.message);
    // Cleanup first: if nobody reads stderr any more, this write ends the process (closed-pipe.ts).
    await d.stop(1);
    process.stderr.write(`uvs run: ${e.message}\n`);
    return 1;
  }
  await d.exited;
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
