// `uvs run`: the live director. Parses the options (DESIGN.md §4), then hands over to the daemon
// (src/daemon/daemon.ts), which runs until SIGTERM/SIGINT; SIGHUP re-reads the rules, keepalived
// and marks files (a broken one is refused and the running table kept).
//
//   uvs run --iface IF [--inside-iface IF] [--rules FILE | --keepalived FILE] [--marks FILE]
//           [--io afpacket|pcap] [--max-conns N] [--socket PATH] [--metrics HOST:PORT]
//           [--afpacket-mode ring|ringrx|mmsg] [--batch N] [--neigh IP=MAC ...] [--main-nice N] [--log-level LEVEL]

import { Daemon, defaultOptions, loadEngineNames, type RunOptions } from '../../daemon/daemon.js';

export const USAGE = 'Usage: uvs run --iface IF [--inside-iface IF] [--rules FILE | --keepalived FILE] [--marks FILE] [--io afpacket|pcap] [--max-conns N] [--socket PATH] [--metrics HOST:PORT] [--afpacket-mode ring|ringrx|mmsg] [--batch N] [--neigh IP=MAC ...] [--main-nice N] [--log-level LEVEL]';

const WITH_VALUE = new Set(['--iface', '--inside-iface', '--rules', '--keepalived', '--marks', '--io', '--afpacket-mode', '--max-conns', '--batch', '--socket', '--metrics', '--neigh', '--main-nice', '--log-level']);

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
    if (!WITH_VALUE.has(a) && a !== '--keep-offloads') return `uvs run: unknown option '${a}'\n${USAGE}`;
    const val = a === '--keep-offloads' ? '' : need();
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
    process.stderr.write(`uvs run: ${e.message}\n`);
    await d.stop(1);
    return 1;
  }
  await d.exited;
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
