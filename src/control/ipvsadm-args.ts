// ipvsadm 1.31's command line, parsed as ipvsadm.c's parse_options() and process_options() parse
// it: the first option must be the command, each later option is handled in order and the first
// error ends the run (`fail()`: message on stderr, exit 2), then the commands × options legality
// matrix, then the per-command checks. The result is a ParsedCommand the model applies the way
// the kernel would.

import { Popt, type PoptOption } from './popt.js';
import { inetAton, inetNtop6, inetPton6, stringToNumber } from './inet.js';
import type { NameResolver } from './names.js';
import {
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  SVC_F_SCHED3,
  SVC_PERSISTENT_TIMEOUT_S,
} from '../model/constants.js';

/** exit(code) inside ipvsadm: what was printed so far plus the status. */
export class IpvsadmExit extends Error {
  constructor(
    readonly stderr: string,
    readonly code: number,
    readonly stdout = '',
  ) {
    super(stderr);
  }
}

export const VERSION_LINE = 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)';
export const MAX_TIMEOUT = 86400 * 31;
const SCHEDNAME_MAXLEN = 16;
const PENAME_MAXLEN = 16;

export enum Cmd {
  NONE = 0,
  ADD,
  EDIT,
  DEL,
  FLUSH,
  LIST,
  ADDDEST,
  DELDEST,
  EDITDEST,
  TIMEOUT,
  STARTDAEMON,
  STOPDAEMON,
  RESTORE,
  SAVE,
  ZERO,
}

export const CMD_NAMES = [
  'add-service', 'edit-service', 'delete-service', 'flush', 'list', 'add-server', 'delete-server',
  'edit-server', 'set', 'start-daemon', 'stop-daemon', 'restore', 'save', 'zero',
];

export const OPT = {
  NUMERIC: 0, CONNECTION: 1, SERVICE: 2, SCHEDULER: 3, PERSISTENT: 4, NETMASK: 5, SERVER: 6,
  FORWARD: 7, WEIGHT: 8, UTHRESHOLD: 9, LTHRESHOLD: 10, MCAST: 11, TIMEOUT: 12, DAEMON: 13,
  STATS: 14, RATE: 15, THRESHOLDS: 16, PERSISTENTCONN: 17, NOSORT: 18, SYNCID: 19, EXACT: 20,
  ONEPACKET: 21, PE: 22, SCHED_FLAGS: 23, MCAST_GROUP: 24, MCAST_PORT: 25, MCAST_TTL: 26,
  SYNC_MAXLEN: 27, TUN_INFO: 28, TUN_TYPE: 29, TUN_PORT: 30, TUN_NOCSUM: 31, TUN_CSUM: 32,
  TUN_REMCSUM: 33,
} as const;

export const OPT_NAMES = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server',
  'forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'mcast-interface', 'timeout', 'daemon',
  'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort', 'syncid', 'exact', 'ops', 'pe',
  'sched-flags', 'mcast-group', 'mcast-port', 'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type',
  'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum',
];

// commands_v_options from ipvsadm.c: '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional.
//            -n -c svc -s -p -M -r fwd -w -x -y -mc tot dmn -st -rt thr -pc srt sid -ex ops -pe -b grp port ttl size tinf type tprt nocs csum remc
const MATRIX = [
  'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx', // ADD
  'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx', // EDIT
  'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', // DEL
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', // FLUSH
  ' 11xxxxxxxxx11       xxxxxxx xxxxx', // LIST
  'xx+xxx+    xxxxxxxxxxxxxxxxxx     ', // ADDSRV
  'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx', // DELSRV
  'xx+xxx+    xxxxxxxxxxxxxxxxxx     ', // EDITSRV
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', // TIMEOUT
  'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx', // STARTD
  'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx', // STOPD
  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', // RESTORE
  ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', // SAVE
  'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', // ZERO
];

export const TUN_NAMES = ['ipip', 'gue', 'gre'];
const TUN_OPTS = [OPT.TUN_PORT, OPT.TUN_NOCSUM, OPT.TUN_CSUM, OPT.TUN_REMCSUM];
//                   tprt nocs csum remc
const TUN_MATRIX = ['xxxx', '+111', 'x11x'];

export const FMT = {
  NUMERIC: 0x1, RULE: 0x2, STATS: 0x4, RATE: 0x8, THRESHOLDS: 0x10, PERSISTENTCONN: 0x20,
  NOSORT: 0x40, EXACT: 0x80, TUN_INFO: 0x100,
} as const;

/** conn_flags & FWD_MASK values as ipvsadm sends them. */
export const FWD_MASQ = 0;
export const FWD_LOCALNODE = 1;
export const FWD_TUNNEL = 2;
export const FWD_DROUTE = 3;

/** ce.svc in ipvsadm. */
export interface SvcArgs {
  af: number; // 0 until set, then 4 or 6
  protocol: number;
  addr: string;
  port: number;
  fwmark: number;
  sched: string;
  flags: number;
  timeout: number;
  /** IPv4: mask as host-order u32; IPv6: prefix length. */
  netmask: number;
  pe: string;
}

/** ce.dest in ipvsadm. */
export interface DestArgs {
  af: number;
  addr: string;
  port: number;
  fwd: number;
  weight: number;
  uThreshold: number;
  lThreshold: number;
  tunType: number;
  tunPort: number;
  /** 0 nocsum, 1 csum, 2 remcsum (IP_VS_TUNNEL_ENCAP_FLAG_*). */
  tunFlags: number;
}

export interface ParsedCommand {
  cmd: Cmd;
  svc: SvcArgs;
  dest: DestArgs;
  options: Set<number>;
  format: number;
  timeouts: [number, number, number];
  daemonState: 'master' | 'backup' | '';
  /** Words as given, for -R detection. */
  argv: readonly string[];
}

const T = (long: string, short: string, kind: PoptOption['kind'], tag = short || long): PoptOption => ({ long, short, kind, tag });

const TABLE: PoptOption[] = [
  T('add-service', 'A', 'none'), T('edit-service', 'E', 'none'), T('delete-service', 'D', 'none'),
  T('clear', 'C', 'none'), T('list', 'L', 'none'), T('list', 'l', 'none'), T('zero', 'Z', 'none'),
  T('add-server', 'a', 'none'), T('edit-server', 'e', 'none'), T('delete-server', 'd', 'none'),
  T('set', '', 'none'), T('help', 'h', 'none'), T('version', 'v', 'none'), T('restore', 'R', 'none'),
  T('save', 'S', 'none'), T('start-daemon', '', 'string'), T('stop-daemon', '', 'string'),
  T('tcp-service', 't', 'string'), T('udp-service', 'u', 'string'), T('sctp-service', '', 'string'),
  T('fwmark-service', 'f', 'string'), T('scheduler', 's', 'string'), T('persistent', 'p', 'optional'),
  T('netmask', 'M', 'string'), T('real-server', 'r', 'string'), T('masquerading', 'm', 'none'),
  T('ipip', 'i', 'none'), T('gatewaying', 'g', 'none'), T('weight', 'w', 'string'),
  T('u-threshold', 'x', 'string'), T('l-threshold', 'y', 'string'), T('numeric', 'n', 'none'),
  T('connection', 'c', 'none'), T('mcast-interface', '', 'string'), T('syncid', '', 'string'),
  T('timeout', '', 'none'), T('daemon', '', 'none'), T('stats', '', 'none'), T('rate', '', 'none'),
  T('thresholds', '', 'none'), T('persistent-conn', '', 'none'), T('nosort', '', 'none'),
  T('sort', '', 'none'), T('exact', 'X', 'none'), T('ipv6', '6', 'none'), T('ops', 'o', 'none'),
  T('pe', '', 'string'), T('sched-flags', 'b', 'string'), T('mcast-group', '', 'string'),
  T('mcast-port', '', 'string'), T('mcast-ttl', '', 'string'), T('sync-maxlen', '', 'string'),
  T('tun-info', '', 'none'), T('tun-type', '', 'string'), T('tun-port', '', 'string'),
  T('tun-nocsum', '', 'none'), T('tun-csum', '', 'none'), T('tun-remcsum', '', 'none'),
];

export function fail(msg: string): never {
  throw new IpvsadmExit(msg + '\n', 2);
}

export function tryHelp(program: string): never {
  throw new IpvsadmExit(`Try \`${program} -h' or '${program} --help' for more information.\n`, 255);
}

export function protoName(protocol: number): string {
  return protocol === IPPROTO_TCP ? 'tcp' : protocol === IPPROTO_UDP ? 'udp' : protocol === IPPROTO_SCTP ? 'sctp' : '';
}

const SERVICE_ADDR = 1;
const SERVICE_PORT = 2;

function strIsDigit(s: string): boolean {
  return /^[0-9]*$/.test(s);
}

/** ipvsadm's parse_service(): fills af/addr/port of `into`, returns SERVICE_* bits. */
export function parseServiceAddr(
  text: string,
  into: { af: number; addr: string; port: number; netmask: number; protocol: number },
  names: NameResolver,
): number {
  if (strIsDigit(text)) return 0;
  let buf = text;
  let portText: string | null = null;
  let bracketed = false;
  if (buf[0] === '[') {
    const close = buf.indexOf(']');
    if (close < 0) return 0;
    const after = buf.slice(close + 1);
    if (after[0] !== ':') return 0;
    portText = after.slice(1);
    buf = buf.slice(1, close);
    bracketed = true;
  }
  const v6 = inetPton6(buf);
  if (v6) {
    into.af = 6;
    into.addr = inetNtop6(v6);
    into.netmask = 128;
  } else {
    // As the C code: the port is looked for again inside what is left, so "[10.0.0.1]:80"
    // (brackets around IPv4) loses its port, exactly as ipvsadm does.
    void bracketed;
    const colon = buf.lastIndexOf(':');
    portText = colon >= 0 ? buf.slice(colon + 1) : null;
    if (colon >= 0) buf = buf.slice(0, colon);
    let v4 = inetAton(buf);
    if (v4 === null) v4 = names.hostToAddr(buf);
    if (v4 === null) return 0;
    into.af = 4;
    into.addr = `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}`;
  }
  let result = SERVICE_ADDR;
  if (portText !== null) {
    result |= SERVICE_PORT;
    let port = stringToNumber(portText, 0, 65535);
    if (port === -1) {
      const proto = protoName(into.protocol);
      port = proto ? names.serviceToPort(portText, proto) : -1;
    }
    if (port === -1) return 0;
    into.port = port;
  }
  return result;
}

function parseTimeout(text: string | null, min: number, max: number): number {
  if (text === null) return SVC_PERSISTENT_TIMEOUT_S;
  const v = stringToNumber(text, min, max);
  if (v === -1) fail(`invalid timeout value \`${text}' specified`);
  return v;
}

function parseFwmark(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  const v = m ? Number(m[2]) * (m[1] === '-' ? -1 : 1) : NaN;
  if (!m || !(v > 0) || v > 0xffffffff) fail(`invalid fwmark value \`${text}' specified`);
  return v;
}

function parseSchedFlags(sched: string, arg: string): number {
  const name = sched || 'wlc';
  let flags = 0;
  // strtok(",") skips empty tokens; an argument of only commas yields the first (empty) token.
  const tokens = arg.split(',').filter((t) => t !== '');
  if (tokens.length === 0) tokens.push('(null)');
  for (const flag of tokens) {
    if (flag === 'flag-1') flags |= SVC_F_SCHED1;
    else if (flag === 'flag-2') flags |= SVC_F_SCHED2;
    else if (flag === 'flag-3') flags |= SVC_F_SCHED3;
    else if (flag === 'sh-fallback' || flag === 'sh-port') {
      flags |= flag === 'sh-port' ? SVC_F_SCHED2 : SVC_F_SCHED1;
      if (name !== 'sh') fail(`incompatible scheduler flag \`${flag}'`);
    } else if (flag === 'mh-fallback' || flag === 'mh-port') {
      flags |= flag === 'mh-port' ? SVC_F_SCHED2 : SVC_F_SCHED1;
      if (name !== 'mh') fail(`incompatible scheduler flag \`${flag}'`);
    } else fail(`invalid scheduler flag \`${flag}'`);
  }
  return flags;
}

function setOption(options: Set<number>, optc: number): void {
  if (options.has(optc)) fail(`multiple '${OPT_NAMES[optc]}' options specified`);
  options.add(optc);
}

export function newSvcArgs(): SvcArgs {
  return { af: 0, protocol: 0, addr: '', port: 0, fwmark: 0, sched: '', flags: 0, timeout: 0, netmask: 0xffffffff, pe: '' };
}

export function newDestArgs(): DestArgs {
  return { af: 0, addr: '', port: 0, fwd: FWD_DROUTE, weight: 1, uThreshold: 0, lThreshold: 0, tunType: 0, tunPort: 0, tunFlags: 0 };
}

/**
 * parse_options() + the checks of process_options(). `argv[0]` is the program name.
 * Throws IpvsadmExit for -h/-v (stdout, exit 0) and every failure.
 */
export function parseCommand(argv: readonly string[], names: NameResolver): ParsedCommand {
  const program = argv[0] ?? 'ipvsadm';
  const ce: ParsedCommand = {
    cmd: Cmd.NONE,
    svc: newSvcArgs(),
    dest: newDestArgs(),
    options: new Set(),
    format: 0,
    timeouts: [0, 0, 0],
    daemonState: '',
    argv,
  };
  const popt = new Popt(argv.slice(1), TABLE);
  const first = popt.nextOpt();
  if (first.type !== 'opt') tryHelp(program);
  const setCommand = (cmd: Cmd): void => {
    if (ce.cmd !== Cmd.NONE) fail('multiple commands specified');
    ce.cmd = cmd;
  };
  switch (first.tag) {
    case 'A': setCommand(Cmd.ADD); break;
    case 'E': setCommand(Cmd.EDIT); break;
    case 'D': setCommand(Cmd.DEL); break;
    case 'a': setCommand(Cmd.ADDDEST); break;
    case 'e': setCommand(Cmd.EDITDEST); break;
    case 'd': setCommand(Cmd.DELDEST); break;
    case 'C': setCommand(Cmd.FLUSH); break;
    case 'L': case 'l': setCommand(Cmd.LIST); break;
    case 'Z': setCommand(Cmd.ZERO); break;
    case 'set': setCommand(Cmd.TIMEOUT); break;
    case 'R': setCommand(Cmd.RESTORE); break;
    case 'S': setCommand(Cmd.SAVE); break;
    case 'start-daemon':
      setCommand(Cmd.STARTDAEMON);
      if (first.arg === 'master' || first.arg === 'backup') ce.daemonState = first.arg;
      else fail('illegal start-daemon parameter specified');
      break;
    case 'stop-daemon':
      setCommand(Cmd.STOPDAEMON);
      if (first.arg === 'master' || first.arg === 'backup') ce.daemonState = first.arg;
      else fail('illegal start_daemon specified');
      break;
    case 'h':
      throw new IpvsadmExit('', 0, usageText(program));
    case 'v':
      throw new IpvsadmExit('', 0, VERSION_LINE + '\n');
    default:
      tryHelp(program);
  }

  let schedFlagsArg = '';
  const o = ce.options;
  for (;;) {
    const ev = popt.nextOpt();
    if (ev.type === 'end') break;
    if (ev.type === 'error') throw new IpvsadmExit(`${ev.word}: ${ev.message}\n`, 255);
    const arg = ev.arg ?? '';
    switch (ev.tag) {
      case 't':
      case 'u':
      case 'sctp-service': {
        setOption(o, OPT.SERVICE);
        ce.svc.protocol = ev.tag === 't' ? IPPROTO_TCP : ev.tag === 'u' ? IPPROTO_UDP : IPPROTO_SCTP;
        if (!(parseServiceAddr(arg, ce.svc, names) & SERVICE_ADDR)) fail('illegal virtual server address[:port] specified');
        break;
      }
      case 'f':
        setOption(o, OPT.SERVICE);
        ce.svc.af = 4;
        ce.svc.protocol = IPPROTO_TCP;
        ce.svc.fwmark = parseFwmark(arg);
        break;
      case 's':
        setOption(o, OPT.SCHEDULER);
        ce.svc.sched = arg.slice(0, SCHEDNAME_MAXLEN - 1);
        break;
      case 'p':
        setOption(o, OPT.PERSISTENT);
        ce.svc.flags |= SVC_F_PERSISTENT;
        ce.svc.timeout = parseTimeout(ev.arg, 1, MAX_TIMEOUT);
        break;
      case 'M':
        setOption(o, OPT.NETMASK);
        if (ce.svc.af !== 6) {
          let m = inetAton(arg);
          if (m === null) m = names.hostToAddr(arg);
          if (m === null) fail('illegal virtual server persistent mask specified');
          ce.svc.netmask = m;
        } else {
          const plen = atoi(arg);
          ce.svc.netmask = plen;
          if (plen < 1 || plen > 128) fail('illegal ipv6 netmask specified');
        }
        break;
      case 'r': {
        setOption(o, OPT.SERVER);
        const t = { ...ce.svc };
        const parse = parseServiceAddr(arg, t, names);
        ce.dest.af = t.af;
        ce.dest.addr = t.addr;
        ce.dest.port = t.port;
        if (!(parse & SERVICE_ADDR)) fail('illegal real server address[:port] specified');
        if (parse === SERVICE_ADDR) ce.dest.port = ce.svc.port;
        break;
      }
      case 'i': setOption(o, OPT.FORWARD); ce.dest.fwd = FWD_TUNNEL; break;
      case 'g': setOption(o, OPT.FORWARD); ce.dest.fwd = FWD_DROUTE; break;
      case 'm': setOption(o, OPT.FORWARD); ce.dest.fwd = FWD_MASQ; break;
      case 'w':
        setOption(o, OPT.WEIGHT);
        if ((ce.dest.weight = stringToNumber(arg, 0, 65535)) === -1) fail('illegal weight specified');
        break;
      case 'x':
        setOption(o, OPT.UTHRESHOLD);
        if ((ce.dest.uThreshold = stringToNumber(arg, 0, 2147483647)) === -1) fail('illegal u_threshold specified');
        break;
      case 'y':
        setOption(o, OPT.LTHRESHOLD);
        if ((ce.dest.lThreshold = stringToNumber(arg, 0, 2147483647)) === -1) fail('illegal l_threshold specified');
        break;
      case 'c': setOption(o, OPT.CONNECTION); break;
      case 'n': setOption(o, OPT.NUMERIC); ce.format |= FMT.NUMERIC; break;
      case 'mcast-interface': setOption(o, OPT.MCAST); break;
      case 'syncid':
        setOption(o, OPT.SYNCID);
        if (stringToNumber(arg, 0, 255) === -1) fail('illegal syncid specified');
        break;
      case 'timeout': setOption(o, OPT.TIMEOUT); break;
      case 'daemon': setOption(o, OPT.DAEMON); break;
      case 'stats': setOption(o, OPT.STATS); ce.format |= FMT.STATS; break;
      case 'rate': setOption(o, OPT.RATE); ce.format |= FMT.RATE; break;
      case 'thresholds': setOption(o, OPT.THRESHOLDS); ce.format |= FMT.THRESHOLDS; break;
      case 'persistent-conn': setOption(o, OPT.PERSISTENTCONN); ce.format |= FMT.PERSISTENTCONN; break;
      case 'nosort': setOption(o, OPT.NOSORT); ce.format |= FMT.NOSORT; break;
      case 'sort': break;
      case 'X': setOption(o, OPT.EXACT); ce.format |= FMT.EXACT; break;
      case '6':
        if (ce.svc.fwmark) {
          ce.svc.af = 6;
          ce.svc.netmask = 128;
        } else fail('-6 used before -f\n');
        break;
      case 'o': setOption(o, OPT.ONEPACKET); ce.svc.flags |= SVC_F_ONEPACKET; break;
      case 'pe': setOption(o, OPT.PE); ce.svc.pe = arg.slice(0, PENAME_MAXLEN); break;
      case 'b': setOption(o, OPT.SCHED_FLAGS); schedFlagsArg = arg.slice(0, 127); break;
      case 'mcast-group': {
        setOption(o, OPT.MCAST_GROUP);
        if (arg.includes(':')) {
          const g = inetPton6(arg);
          if (!g || (g[0]! >>> 8) !== 0xff) fail(`invalid IPv6 mcast-group \`${arg}'`);
        } else {
          const g = /^\d+\.\d+\.\d+\.\d+$/.test(arg) ? inetAton(arg) : null;
          if (g === null || g >>> 28 !== 0xe) fail(`invalid IPv4 mcast-group \`${arg}'`);
        }
        break;
      }
      case 'mcast-port':
        setOption(o, OPT.MCAST_PORT);
        if (stringToNumber(arg, 1, 65535) === -1) fail('illegal mcast-port specified');
        break;
      case 'mcast-ttl':
        setOption(o, OPT.MCAST_TTL);
        if (stringToNumber(arg, 1, 255) === -1) fail('illegal mcast-ttl specified');
        break;
      case 'sync-maxlen':
        setOption(o, OPT.SYNC_MAXLEN);
        if (stringToNumber(arg, 1, 65535 - 20 - 8) === -1) fail('illegal sync-maxlen specified');
        break;
      case 'tun-info': setOption(o, OPT.TUN_INFO); ce.format |= FMT.TUN_INFO; break;
      case 'tun-type': {
        setOption(o, OPT.TUN_TYPE);
        const t = TUN_NAMES.indexOf(arg);
        if (t < 0) fail('illegal tunnel type specified');
        ce.dest.tunType = t;
        break;
      }
      case 'tun-port': {
        setOption(o, OPT.TUN_PORT);
        const p = stringToNumber(arg, 1, 65535);
        if (p === -1) fail('illegal tunnel port specified');
        ce.dest.tunPort = p;
        break;
      }
      case 'tun-nocsum': setOption(o, OPT.TUN_NOCSUM); break;
      case 'tun-csum': setOption(o, OPT.TUN_CSUM); ce.dest.tunFlags |= 1; break;
      case 'tun-remcsum': setOption(o, OPT.TUN_REMCSUM); ce.dest.tunFlags |= 2; break;
      default:
        fail(`invalid option \`${ev.word}'`);
    }
  }

  if (ce.cmd === Cmd.TIMEOUT) {
    const a = popt.getArg();
    const b = a !== null ? popt.getArg() : null;
    const c = b !== null ? popt.getArg() : null;
    if (a === null || b === null || c === null) fail('--set option requires 3 timeout values');
    ce.timeouts = [parseTimeout(a, 0, MAX_TIMEOUT), parseTimeout(b, 0, MAX_TIMEOUT), parseTimeout(c, 0, MAX_TIMEOUT)];
  }
  const extra = popt.getArg();
  if (extra !== null) fail(`unexpected argument ${extra}`);
  if (schedFlagsArg) {
    ce.svc.flags &= ~(SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3);
    ce.svc.flags |= parseSchedFlags(ce.svc.sched, schedFlagsArg);
  }

  genericOptCheck(ce.cmd, o);

  if (ce.cmd === Cmd.ADD || ce.cmd === Cmd.EDIT) {
    if (!ce.svc.fwmark && !ce.svc.port && !(ce.svc.flags & SVC_F_PERSISTENT)) fail('Zero port specified for non-persistent service');
    if (ce.svc.flags & SVC_F_ONEPACKET && !ce.svc.fwmark && ce.svc.protocol !== IPPROTO_UDP) fail('One-Packet Scheduling is only for UDP virtual services');
    if (ce.svc.sched.length === 0) ce.svc.sched = 'wlc';
  }
  if (ce.cmd === Cmd.ADDDEST || ce.cmd === Cmd.EDITDEST) {
    const fwd = ce.dest.fwd;
    if (!ce.svc.fwmark && (fwd === FWD_TUNNEL || fwd === FWD_DROUTE)) ce.dest.port = ce.svc.port;
    if (ce.dest.af !== ce.svc.af && fwd !== FWD_TUNNEL) fail('Different address family is allowed only for tunneling servers');
    const tunOpts = [OPT.TUN_TYPE, OPT.TUN_PORT, OPT.TUN_NOCSUM, OPT.TUN_CSUM, OPT.TUN_REMCSUM].some((k) => o.has(k));
    if (tunOpts && fwd !== FWD_TUNNEL) fail('Tunnel options conflict with forward method');
    tunnelOptCheck(ce.dest.tunType, o);
  }
  if (ce.cmd === Cmd.LIST) {
    const a = o.has(OPT.CONNECTION) || o.has(OPT.TIMEOUT) || o.has(OPT.DAEMON);
    const b = o.has(OPT.STATS) || o.has(OPT.RATE) || o.has(OPT.THRESHOLDS);
    if ((a && b) || ((o.has(OPT.TIMEOUT) || o.has(OPT.DAEMON)) && o.has(OPT.PERSISTENTCONN))) fail('options conflicts in the list command');
  }
  return ce;
}

function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? parseInt(m[1]!, 10) | 0 : 0;
}

function genericOptCheck(cmd: Cmd, options: Set<number>): void {
  const i = cmd - 1;
  const row = MATRIX[i]!;
  let last = 0;
  let count = 0;
  for (let j = 0; j < OPT_NAMES.length; j++) {
    const cell = row[j];
    if (!options.has(j)) {
      if (cell === '+') fail(`You need to supply the '${OPT_NAMES[j]}' option for the '${CMD_NAMES[i]}' command`);
    } else {
      if (cell === 'x') fail(`Illegal '${OPT_NAMES[j]}' option with the '${CMD_NAMES[i]}' command`);
      if (cell === '1') {
        count++;
        if (count === 1) {
          last = j;
          continue;
        }
        fail(`The option '${OPT_NAMES[j]}' conflicts with the '${OPT_NAMES[last]}' option in the '${CMD_NAMES[i]}' command`);
      }
    }
  }
}

function tunnelOptCheck(tunType: number, options: Set<number>): void {
  const row = TUN_MATRIX[tunType]!;
  let last = 0;
  let count = 0;
  for (let j = 0; j < TUN_OPTS.length; j++) {
    const k = TUN_OPTS[j]!;
    const cell = row[j];
    if (!options.has(k)) {
      if (cell === '+') fail(`You need to supply the '${OPT_NAMES[k]}' option for the '${TUN_NAMES[tunType]}' tunnel type`);
    } else {
      if (cell === 'x') fail(`Illegal '${OPT_NAMES[k]}' option with the '${TUN_NAMES[tunType]}' tunnel type`);
      if (cell === '1') {
        count++;
        if (count === 1) {
          last = k;
          continue;
        }
        fail(`The option '${OPT_NAMES[k]}' conflicts with the '${OPT_NAMES[last]}' option in the '${TUN_NAMES[tunType]}' tunnel type`);
      }
    }
  }
}

const SCHEDULERS = 'rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh';

export function usageText(p: string): string {
  return `${VERSION_LINE}
Usage:
  ${p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]
  ${p} -D virtual-service
  ${p} -C
  ${p} -R
  ${p} -S [-n]
  ${p} -a|e virtual-service -r server-address [options]
  ${p} -d virtual-service -r server-address
  ${p} -L|l [virtual-service] [options]
  ${p} -Z [virtual-service]
  ${p} --set tcp tcpfin udp
  ${p} --start-daemon {master|backup} [daemon-options]
  ${p} --stop-daemon {master|backup}
  ${p} -h

Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of ${SCHEDULERS},
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
`;
}
