// keepalived.conf's LVS part (check/check_parser.c, check_data.c) from the ConfNode tree to
// KeepalivedConfig: virtual_server by `IP [PORT]`, `fwmark N` or `group NAME`
// (virtual_server_group entries `IP[-END] [PORT]` and `fwmark N` are expanded to one virtual
// server each, sharing the real servers and checkers), with keepalived's handlers and its
// validate_check_config() defaults and corrections, each reported as keepalived reports it:
// - scheduler: wlc when absent; forwarding method: NAT when neither the virtual nor the real
//   server sets one; weight: the virtual server's `weight` (1); delay_loop 60 s; quorum 1;
// - protocol: keepalived 2.x sets UDP when absent on an address service ("no protocol set -
//   defaulting to UDP", a config error) and ignores it on fwmark services;
// - a zero port on a non-persistent address service makes it persistent (360 s);
// - `ops` only on UDP; real/sorry server port = virtual port for DR/TUN (and NAT when
//   absent); fwmark DR/TUN real servers get port 0; duplicate real servers dropped;
//   quorum capped at the total weight, hysteresis below quorum;
// - a virtual server without real servers is ignored.
// Checker blocks are kept as ConfNode for src/health. vrrp_*, global_defs and the other
// sections uvs does not act on are returned in `ignored`.

import type { ConfNode, KaRealServer, KaVirtualServer, KeepalivedConfig } from '../../model/keepalived.js';
import type { DestConfig, ServiceConfig } from '../../model/config.js';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3, SVC_PERSISTENT_TIMEOUT_S } from '../../model/constants.js';
import { inetAton, inetNtop6, inetPton4, inetPton6 } from '../inet.js';
import { KNOWN_SCHEDULERS } from '../model.js';
import { parseKeepalivedFile, parseKeepalivedText, type ParseOptions, type ParsedConf } from './parser.js';

export const CHECKER_KEYWORDS = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'BFD_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK'];

/** Top-level sections keepalived knows that uvs parses but does not act on. */
export const IGNORED_SECTIONS = [
  'global_defs', 'vrrp_instance', 'vrrp_sync_group', 'vrrp_script', 'vrrp_track_process', 'vrrp_track_file', 'track_file',
  'static_ipaddress', 'static_routes', 'static_rules', 'linkbeat_interfaces', 'bfd_instance', 'SSL', 'net_namespace',
  'net_namespace_ipvs', 'namespace_with_ipsets', 'instance', 'garp_group', 'use_pid_dir', 'child_wait_time',
  'vrrp_group', 'vrrp_gname', 'local_address_group',
];

const KEEPALIVED_DEFAULT_DELAY_S = 60;
const IPVS_WEIGHT_LIMIT = 65535;
const LVS_MAX_TIMEOUT = 86400 * 31;

type Fwd = 'Masq' | 'Route' | 'Tunnel' | null;

interface Tunnel {
  tunType: DestConfig['tunType'];
  tunPort: number;
  tunFlags: DestConfig['tunFlags'];
}

interface RawServer {
  af: 4 | 6;
  addr: string;
  port: number;
  fwd: Fwd;
  tun: Tunnel;
  weight: number | null;
  uThreshold: number;
  lThreshold: number;
  inhibit: boolean | null;
  notifyUp: string;
  notifyDown: string;
  checkers: ConfNode[];
  node: ConfNode;
}

interface GroupEntry {
  fwmark: number;
  af: 4 | 6;
  addrs: string[];
  port: number;
}

interface RawVs {
  kind: 'addr' | 'fwmark' | 'group';
  af: 0 | 4 | 6;
  addr: string;
  port: number;
  fwmark: number;
  group: string;
  sched: string;
  flags: number;
  fwd: Fwd;
  tun: Tunnel;
  persistenceTimeout: number;
  granularity: string;
  pe: string;
  protocol: 0 | 'tcp' | 'udp' | 'sctp';
  delayLoopS: number;
  quorum: number;
  hysteresis: number;
  quorumUp: string;
  quorumDown: string;
  alpha: boolean;
  omega: boolean;
  inhibit: boolean;
  virtualhost: string;
  weight: number;
  sorry: RawServer | null;
  sorryInhibit: boolean;
  servers: RawServer[];
  node: ConfNode;
}

const NO_TUNNEL = (): Tunnel => ({ tunType: 'ipip', tunPort: 0, tunFlags: 'nocsum' });

function where(n: ConfNode): string {
  return `${n.file}:${n.line}`;
}

/** keepalived's read_timer(): seconds, decimals allowed. */
function readTimer(s: string | undefined): number | null {
  if (s === undefined || !/^\d+(\.\d+)?$/.test(s)) return null;
  return Number(s);
}

function readUnsigned(s: string | undefined, min: number, max: number): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const v = Number(s);
  return v >= min && v <= max ? v : null;
}

function parseAddr(text: string | undefined): { af: 4 | 6; addr: string } | null {
  if (!text) return null;
  const v4 = inetPton4(text);
  if (v4 !== null) return { af: 4, addr: `${v4 >>> 24}.${(v4 >>> 16) & 255}.${(v4 >>> 8) & 255}.${v4 & 255}` };
  const v6 = inetPton6(text);
  if (v6) return { af: 6, addr: inetNtop6(v6) };
  return null;
}

/** A port argument: a number 0..65535; absent = 0. */
function parsePort(text: string | undefined): number | null {
  if (text === undefined) return 0;
  return readUnsigned(text, 0, 65535);
}

function trueFalse(args: string[]): boolean | null {
  if (args.length === 0) return true;
  const v = args[0]!.toLowerCase();
  if (['true', 'on', 'yes'].includes(v)) return true;
  if (['false', 'off', 'no'].includes(v)) return false;
  return null;
}

export class KeepalivedBuilder {
  readonly problems: string[] = [];
  readonly ignored: ConfNode[] = [];
  private readonly groups = new Map<string, GroupEntry[]>();
  private readonly raw: RawVs[] = [];

  private problem(n: ConfNode, msg: string): void {
    this.problems.push(`${where(n)}: ${msg}`);
  }

  run(nodes: ConfNode[]): void {
    for (const n of nodes) {
      if (n.keyword === 'virtual_server_group') this.group(n);
      else if (n.keyword === 'virtual_server') this.virtualServer(n);
      else if (IGNORED_SECTIONS.includes(n.keyword) || n.keyword.startsWith('vrrp_')) this.ignored.push(n);
      else if (n.keyword === '') this.problem(n, 'block without a keyword - skipping');
      else this.problem(n, `Unknown keyword '${n.keyword}'`);
    }
  }

  private group(n: ConfNode): void {
    const name = n.args[0];
    if (!name) return this.problem(n, 'virtual_server_group without a name');
    if (!n.children) return this.problem(n, `virtual_server_group ${name} has no block`);
    const entries: GroupEntry[] = [];
    for (const e of n.children) {
      if (e.keyword === 'fwmark') {
        const m = readUnsigned(e.args[0], 1, 0xffffffff);
        if (m === null) this.problem(e, `invalid virtual server group fwmark '${e.args[0] ?? ''}' - skipping`);
        else entries.push({ fwmark: m, af: 4, addrs: [], port: 0 });
        continue;
      }
      const range = /^(.*?)(?:-([0-9a-fA-F]+))?$/.exec(e.keyword)!;
      const a = parseAddr(range[1]);
      const port = parsePort(e.args[0]);
      if (!a || port === null) {
        this.problem(e, `Invalid virtual server group IP address ${e.keyword} - skipping`);
        continue;
      }
      if (entries.some((x) => !x.fwmark && x.af !== a.af)) {
        this.problem(e, `Cannot mix IPv4 and IPv6 in virtual server group - ${name}`);
        continue;
      }
      const addrs = [a.addr];
      if (range[2] !== undefined) {
        if (a.af === 4) {
          const base = inetAton(a.addr)!;
          const start = base & 0xff;
          const end = Number(range[2]);
          if (!/^\d+$/.test(range[2]) || end > 255) {
            this.problem(e, `End address of range exceeds limit for address family - ${e.keyword} - skipping`);
            continue;
          }
          if (start >= end) {
            this.problem(e, `Address range end is not greater than address range start - ${e.keyword} - skipping`);
            continue;
          }
          for (let k = start + 1; k <= end; k++) {
            const v = ((base & ~0xff) | k) >>> 0;
            addrs.push(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
          }
        } else {
          const w = inetPton6(a.addr)!;
          const start = w[7]!;
          const end = parseInt(range[2], 16);
          if (end > 0xffff) {
            this.problem(e, `End address of range exceeds limit for address family - ${e.keyword} - skipping`);
            continue;
          }
          if (start >= end) {
            this.problem(e, `Address range end is not greater than address range start - ${e.keyword} - skipping`);
            continue;
          }
          for (let k = start + 1; k <= end; k++) addrs.push(inetNtop6([...w.slice(0, 7), k]));
        }
      }
      entries.push({ fwmark: 0, af: a.af, addrs, port });
    }
    if (entries.length === 0) {
      this.problem(n, `virtual server group ${name} has no entries - removing`);
      return;
    }
    this.groups.set(name, entries);
  }

  private parseForwarding(n: ConfNode, who: string): { fwd: Fwd; tun: Tunnel } | null {
    const m = n.args[0];
    let fwd: Fwd;
    if (m === 'NAT') fwd = 'Masq';
    else if (m === 'DR') fwd = 'Route';
    else if (m === 'TUN') fwd = 'Tunnel';
    else {
      this.problem(n, `PARSER : unknown [${m ?? ''}] routing method for ${who} server.`);
      return null;
    }
    const tun = NO_TUNNEL();
    const a = n.args;
    for (let i = 1; i < a.length; i++) {
      if (a[i] === 'type') {
        const t = a[i + 1];
        if (t === undefined) {
          this.problem(n, `Missing tunnel type for ${who} server.`);
          return null;
        }
        if (t !== 'ipip' && t !== 'gue' && t !== 'gre') {
          this.problem(n, `Unknown tunnel type ${t} for ${who} server.`);
          return null;
        }
        tun.tunType = t;
        i++;
      } else if (a[i] === 'port') {
        const p = readUnsigned(a[i + 1], 1, 65535);
        if (p === null) {
          this.problem(n, a[i + 1] === undefined ? `Missing port for ${who} server gue tunnel.` : `Invalid gue tunnel port ${a[i + 1]} for ${who} server.`);
          return null;
        }
        tun.tunPort = p;
        i++;
      } else if (a[i] === 'nocsum' || a[i] === 'csum' || a[i] === 'remcsum') tun.tunFlags = a[i] as Tunnel['tunFlags'];
      else {
        this.problem(n, `Invalid tunnel option ${a[i]} for ${who} server.`);
        return null;
      }
    }
    if ((tun.tunType === 'gue') !== (tun.tunPort !== 0)) {
      this.problem(n, 'gue tunnels require port, otherwise cannot have port.');
      return null;
    }
    if (tun.tunType === 'ipip' && tun.tunFlags !== 'nocsum') {
      this.problem(n, 'ipip tunnels do not support checksum option.');
      return null;
    }
    if (tun.tunType === 'gre' && tun.tunFlags === 'remcsum') {
      this.problem(n, 'gre tunnels do not support remote checksum option.');
      return null;
    }
    return { fwd, tun };
  }

  private newServer(n: ConfNode, who: string): RawServer | null {
    const a = parseAddr(n.args[0]);
    const port = parsePort(n.args[1]);
    if (!a || port === null) {
      this.problem(n, `Invalid ${who} server ip address/port ${n.args[0] ?? ''}/${n.args[1] ?? ''} - skipping`);
      return null;
    }
    return {
      af: a.af, addr: a.addr, port, fwd: null, tun: NO_TUNNEL(), weight: null, uThreshold: 0, lThreshold: 0,
      inhibit: null, notifyUp: '', notifyDown: '', checkers: [], node: n,
    };
  }

  private virtualServer(n: ConfNode): void {
    const [p1, p2] = n.args;
    const vs: RawVs = {
      kind: 'addr', af: 0, addr: '', port: 0, fwmark: 0, group: '', sched: '', flags: 0, fwd: null, tun: NO_TUNNEL(),
      persistenceTimeout: 0, granularity: '', pe: '', protocol: 0, delayLoopS: KEEPALIVED_DEFAULT_DELAY_S, quorum: 1,
      hysteresis: 0, quorumUp: '', quorumDown: '', alpha: false, omega: false, inhibit: false, virtualhost: '', weight: 1,
      sorry: null, sorryInhibit: false, servers: [], node: n,
    };
    if (p1 === 'group') {
      if (!p2) return this.problem(n, 'virtual_server group without a name - skipping');
      vs.kind = 'group';
      vs.group = p2;
    } else if (p1 === 'fwmark') {
      const m = readUnsigned(p2, 0, 0xffffffff);
      if (m === null) return this.problem(n, `virtual server fwmark '${p2 ?? ''}' must be in [0, 4294967295] - ignoring`);
      vs.kind = 'fwmark';
      vs.fwmark = m;
    } else {
      const a = parseAddr(p1);
      const port = parsePort(p2);
      if (!a || port === null) {
        return this.problem(n, `Invalid virtual server IP address${p2 ? '/port' : ''} ${p1 ?? ''}${p2 ? '/' + p2 : ''} - skipping`);
      }
      vs.af = a.af;
      vs.addr = a.addr;
      vs.port = port;
    }
    for (const c of n.children ?? []) this.vsKeyword(vs, c);
    // vs_end_handler(): address family of fwmark/group services from their servers.
    if (vs.sorry && vs.sorry.fwd !== 'Tunnel') {
      if (vs.af === 0) vs.af = vs.sorry.af;
      else if (vs.af !== vs.sorry.af) {
        this.problem(vs.sorry.node, `Address family of virtual server and sorry server ${vs.sorry.addr} don't match - skipping sorry server.`);
        vs.sorry = null;
      }
    }
    if (vs.af === 0) {
      let af: 0 | 4 | 6 = vs.sorry ? vs.sorry.af : 0;
      for (const rs of vs.servers) {
        if (af === 0) af = rs.af;
        else if (af !== rs.af) {
          af = 0;
          break;
        }
      }
      vs.af = af === 0 ? 4 : af;
    }
    this.raw.push(vs);
  }

  private vsKeyword(vs: RawVs, c: ConfNode): void {
    const a = c.args;
    switch (c.keyword) {
      case 'ip_family':
        if (a[0] === 'inet' || a[0] === 'inet6') {
          const af = a[0] === 'inet' ? 4 : 6;
          if (vs.af !== 0 && vs.af !== af) this.problem(c, `Virtual server specified family ${a[0]} conflicts with server family`);
          else vs.af = af;
        } else this.problem(c, `unknown address family ${a[0] ?? ''}`);
        return;
      case 'delay_loop': {
        const t = readTimer(a[0]);
        if (t === null || t < 1) this.problem(c, `virtual server delay loop '${a[0] ?? ''}' invalid - ignoring`);
        else vs.delayLoopS = t;
        return;
      }
      case 'nat_mask':
        // keepalived 1.x keyword for Linux 2.2's reverse-NAT granularity, gone since; kept as a
        // note so old real-world files still lint clean.
        this.ignored.push(c);
        return;
      case 'retry': case 'delay_before_retry': case 'warmup': case 'connect_timeout': case 'ha_suspend':
      case 'smtp_alert': case 'snmp_name': case 'hashed':
        // Checker timing defaults and alerting: src/health reads them from the node.
        return;
      case 'inhibit_on_failure':
        vs.inhibit = true;
        return;
      case 'lb_algo':
      case 'lvs_sched':
        if (!a[0] || !KNOWN_SCHEDULERS.includes(a[0])) this.problem(c, `Invalid lvs_scheduler '${a[0] ?? ''}' - ignoring`);
        else vs.sched = a[0];
        return;
      case 'ops':
        vs.flags |= SVC_F_ONEPACKET;
        return;
      case 'flag-1': vs.flags |= SVC_F_SCHED1; return;
      case 'flag-2': vs.flags |= SVC_F_SCHED2; return;
      case 'flag-3': vs.flags |= SVC_F_SCHED3; return;
      case 'sh-port': case 'sh-fallback': case 'mh-port': case 'mh-fallback': {
        const sched = c.keyword.slice(0, 2);
        if (vs.sched !== sched) this.problem(c, `${c.keyword} only applies to ${sched} scheduler - ignoring`);
        else vs.flags |= c.keyword.endsWith('port') ? SVC_F_SCHED2 : SVC_F_SCHED1;
        return;
      }
      case 'lb_kind':
      case 'lvs_method': {
        const f = this.parseForwarding(c, 'virtual');
        if (f) {
          vs.fwd = f.fwd;
          vs.tun = f.tun;
        }
        return;
      }
      case 'persistence_engine':
        if ((a[0] ?? '').length > 15) this.problem(c, `persistence_name too long, truncating - ${a[0]}`);
        vs.pe = (a[0] ?? '').slice(0, 15);
        return;
      case 'persistence_timeout': {
        if (a.length === 0) {
          vs.persistenceTimeout = SVC_PERSISTENT_TIMEOUT_S;
          return;
        }
        const t = readUnsigned(a[0], 1, LVS_MAX_TIMEOUT);
        if (t === null) this.problem(c, 'persistence_timeout invalid');
        else vs.persistenceTimeout = t;
        return;
      }
      case 'persistence_granularity': {
        const v = a[0] ?? '';
        const af = vs.af !== 0 ? vs.af : v.includes('.') ? 4 : 6;
        if (af === 6) {
          const g = readUnsigned(v, 1, 128);
          if (g === null) return this.problem(c, `Invalid IPv6 persistence_granularity specified - ${v}`);
          vs.granularity = String(g);
        } else {
          const m = inetPton4(v);
          if (m === null) return this.problem(c, `Invalid IPv4 persistence_granularity specified - ${v}`);
          vs.granularity = `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}`;
        }
        if (vs.af === 0) vs.af = af;
        if (!vs.persistenceTimeout) vs.persistenceTimeout = SVC_PERSISTENT_TIMEOUT_S;
        return;
      }
      case 'protocol': {
        const p = (a[0] ?? '').toLowerCase();
        if (p === 'tcp' || p === 'udp' || p === 'sctp') vs.protocol = p;
        else this.problem(c, `Unknown protocol ${a[0] ?? ''} - ignoring`);
        return;
      }
      case 'virtualhost':
        if (a.length === 0) this.problem(c, 'virtual server virtualhost missing');
        else vs.virtualhost = a.join(' ');
        return;
      case 'alpha': vs.alpha = true; return;
      case 'omega': vs.omega = true; return;
      case 'quorum_up':
        if (vs.quorumUp) this.problem(c, `quorum_up script already specified - ignoring ${a[0] ?? ''}`);
        else vs.quorumUp = a.join(' ');
        return;
      case 'quorum_down':
        if (vs.quorumDown) this.problem(c, `quorum_down script already specified - ignoring ${a[0] ?? ''}`);
        else vs.quorumDown = a.join(' ');
        return;
      case 'quorum': {
        const q = readUnsigned(a[0], 1, 0xffffffff);
        if (q === null) this.problem(c, `Quorum ${a[0] ?? ''} must be in [1, 4294967295]. Setting to 1.`);
        vs.quorum = q ?? 1;
        return;
      }
      case 'hysteresis': {
        const h = readUnsigned(a[0], 0, 0xffffffff);
        if (h === null) this.problem(c, `Hysteresis ${a[0] ?? ''} must be in [0, 4294967295] - ignoring`);
        else vs.hysteresis = h;
        return;
      }
      case 'weight': {
        const w = readUnsigned(a[0], 1, IPVS_WEIGHT_LIMIT);
        if (w === null) this.problem(c, `Virtual server weight ${a[0] ?? ''} is outside range 1-${IPVS_WEIGHT_LIMIT}`);
        else vs.weight = w;
        return;
      }
      case 'sorry_server': {
        const s = this.newServer(c, 'sorry');
        if (s) {
          s.fwd = vs.fwd;
          s.tun = { ...vs.tun };
          s.weight = 1;
          vs.sorry = s;
        }
        return;
      }
      case 'sorry_server_inhibit':
        if (vs.sorry) vs.sorryInhibit = true;
        else this.problem(c, 'Ignoring sorry_server inhibit used before or without sorry_server');
        return;
      case 'sorry_server_lvs_method':
        if (!vs.sorry) this.problem(c, 'sorry_server forwarding used without sorry_server');
        else {
          const f = this.parseForwarding(c, 'sorry');
          if (f) {
            vs.sorry.fwd = f.fwd;
            vs.sorry.tun = f.tun;
          }
        }
        return;
      case 'real_server':
        this.realServer(vs, c);
        return;
      default:
        if (CHECKER_KEYWORDS.includes(c.keyword)) this.problem(c, `${c.keyword} outside a real_server - skipping`);
        else this.problem(c, `Unknown keyword '${c.keyword}'`);
    }
  }

  private realServer(vs: RawVs, n: ConfNode): void {
    const rs = this.newServer(n, 'real');
    if (!rs) return;
    rs.fwd = vs.fwd;
    rs.tun = { ...vs.tun };
    for (const c of n.children ?? []) {
      const a = c.args;
      switch (c.keyword) {
        case 'weight': {
          const w = readUnsigned(a[0], 0, IPVS_WEIGHT_LIMIT);
          if (w === null) this.problem(c, `Real server weight ${a[0] ?? ''} is outside range 0-${IPVS_WEIGHT_LIMIT}`);
          else rs.weight = w;
          break;
        }
        case 'lvs_method': {
          const f = this.parseForwarding(c, 'real');
          if (f) {
            rs.fwd = f.fwd;
            rs.tun = f.tun;
          }
          break;
        }
        case 'uthreshold':
        case 'lthreshold': {
          const t = readUnsigned(a[0], 0, 0xffffffff);
          if (t === null) this.problem(c, `Invalid real_server ${c.keyword} '${a[0] ?? ''}' - ignoring`);
          else if (c.keyword === 'uthreshold') rs.uThreshold = t;
          else rs.lThreshold = t;
          break;
        }
        case 'inhibit_on_failure': {
          const v = trueFalse(a);
          if (v === null) this.problem(c, `Invalid inhibit_on_failure parameter ${a[0]}`);
          else rs.inhibit = v;
          break;
        }
        case 'notify_up':
          if (rs.notifyUp) this.problem(c, `notify_up script already specified - ignoring ${a[0] ?? ''}`);
          else rs.notifyUp = a.join(' ');
          break;
        case 'notify_down':
          if (rs.notifyDown) this.problem(c, `notify_down script already specified - ignoring ${a[0] ?? ''}`);
          else rs.notifyDown = a.join(' ');
          break;
        case 'alpha': case 'retry': case 'delay_before_retry': case 'warmup': case 'connect_timeout': case 'delay_loop':
        case 'smtp_alert': case 'virtualhost': case 'snmp_name': case 'track_file': case 'track_bfd':
          // Per-real-server checker settings: src/health reads them from the node.
          break;
        default:
          if (CHECKER_KEYWORDS.includes(c.keyword)) rs.checkers.push(c);
          else this.problem(c, `Unknown keyword '${c.keyword}'`);
      }
    }
    // rs_end_handler(): address families must match unless tunnelled.
    if (rs.fwd !== 'Tunnel') {
      if (vs.af === 0) vs.af = rs.af;
      else if (vs.af !== rs.af) {
        this.problem(n, `Address family of virtual server and real server ${rs.addr} don't match - skipping real server.`);
        return;
      }
    }
    vs.servers.push(rs);
  }

  /** validate_check_config() and expansion to KaVirtualServer. */
  finish(): KaVirtualServer[] {
    const out: KaVirtualServer[] = [];
    for (const vs of this.raw) {
      const label = vs.kind === 'group' ? `[${vs.group}]:${vs.port}` : vs.kind === 'fwmark' ? `FWM ${vs.fwmark}` : `${vs.af === 6 ? `[${vs.addr}]` : vs.addr}:${vs.port}`;
      const n = vs.node;
      let members: GroupEntry[];
      if (vs.kind === 'group') {
        const g = this.groups.get(vs.group);
        if (!g) {
          this.problem(n, `Virtual server group ${vs.group} not found - skipping virtual server`);
          continue;
        }
        members = g;
      } else if (vs.kind === 'fwmark') members = [{ fwmark: vs.fwmark, af: vs.af === 6 ? 6 : 4, addrs: [], port: 0 }];
      else members = [{ fwmark: 0, af: vs.af === 6 ? 6 : 4, addrs: [vs.addr], port: vs.port }];

      if (vs.servers.length === 0) {
        this.problem(n, `Virtual server ${label} has no real servers - ignoring`);
        continue;
      }
      const hasAddr = members.some((m) => !m.fwmark);
      const hasMark = members.some((m) => m.fwmark);
      if (hasAddr) {
        if (!vs.protocol) {
          this.problem(n, `Virtual server ${label}: no protocol set - defaulting to UDP`);
          vs.protocol = 'udp';
        }
        if (vs.flags & SVC_F_ONEPACKET && vs.protocol !== 'udp') {
          this.problem(n, `Virtual server ${label}: one packet scheduling requires UDP - resetting`);
          vs.flags &= ~SVC_F_ONEPACKET;
        }
        if (!vs.persistenceTimeout && members.some((m) => !m.fwmark && m.port === 0)) {
          this.problem(n, `Virtual server ${label}: zero port only valid for persistent services - setting`);
          vs.persistenceTimeout = SVC_PERSISTENT_TIMEOUT_S;
        }
      } else if (vs.protocol && hasMark) {
        this.problem(n, `Warning: Virtual server ${label}: protocol specified for fwmark - protocol will be ignored`);
        vs.protocol = 0;
      }
      if (!vs.sched) {
        this.problem(n, `Virtual server ${label}: no scheduler set, setting default 'wlc'`);
        vs.sched = 'wlc';
      }
      const servers: RawServer[] = [];
      let weightSum = 0;
      for (const rs of vs.servers) {
        if (servers.some((x) => x.af === rs.af && x.addr === rs.addr && x.port === rs.port)) {
          this.problem(rs.node, `VS ${label}: real server ${rs.addr}:${rs.port} is duplicated - removing second rs`);
          continue;
        }
        if (rs.fwd === null) {
          if (vs.fwd === null) {
            this.problem(n, `Virtual server ${label}: no forwarding method set, setting default NAT`);
            vs.fwd = 'Masq';
          }
          rs.fwd = vs.fwd;
          rs.tun = { ...vs.tun };
        }
        if (rs.inhibit === null) rs.inhibit = vs.inhibit;
        if (rs.weight === null) rs.weight = vs.weight;
        weightSum += rs.weight;
        servers.push(rs);
      }
      if (vs.sorry && vs.sorry.fwd === null) {
        if (vs.fwd === null) {
          this.problem(n, `Virtual server ${label}: no forwarding method set, setting default NAT`);
          vs.fwd = 'Masq';
        }
        vs.sorry.fwd = vs.fwd;
        vs.sorry.tun = { ...vs.tun };
      }
      if (vs.quorum > weightSum) {
        this.problem(n, `Warning - quorum ${vs.quorum} for ${label} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`);
        vs.quorum = weightSum;
      }
      if (vs.hysteresis >= vs.quorum) {
        const h = Math.max(0, vs.quorum - 1);
        this.problem(n, `Virtual server ${label}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`);
        vs.hysteresis = h;
      }
      // Port rules. Single virtual servers: corrected as validate_check_config() does (NAT
      // without port takes the virtual port; DR/TUN take the virtual port, fwmark DR/TUN port 0).
      // Groups: keepalived only warns, the ports go to the kernel as configured (a zero dest port
      // means "the virtual port" to ip_vs_schedule()).
      const fixPort = (s: RawServer, memberAddr: string, memberPort: number, isMark: boolean, warn: boolean, sorry: boolean): number => {
        const who = sorry ? 'sorry server' : `real server ${s.addr}:${s.port}`;
        if (vs.kind === 'group') {
          if (warn && s.fwd !== 'Masq' && s.port) {
            if (isMark) this.problem(s.node, `WARNING - fwmark virtual server ${label}, ${who} has port specified - port will be ignored`);
            else if (s.port !== memberPort) this.problem(s.node, `virtual server ${label}:[${memberAddr}:${memberPort}] and ${who} ports don't match`);
          }
          return s.port;
        }
        if (s.fwd === 'Masq') return !isMark && s.port === 0 ? memberPort : s.port;
        if (isMark) {
          if (s.port && warn) this.problem(s.node, `WARNING - ${sorry ? `virtual server ${label}, sorry server` : `fwmark virtual server ${label}, ${who}`} has port specified - clearing`);
          return 0;
        }
        if (s.port && s.port !== memberPort && warn) this.problem(s.node, `WARNING - virtual server ${label} and ${who} ports don't match - resetting`);
        return memberPort;
      };
      let first = true;
      for (const m of members) {
        const targets = m.fwmark ? [{ addr: '', port: 0, fwmark: m.fwmark }] : m.addrs.map((addr) => ({ addr, port: m.port, fwmark: 0 }));
        for (const t of targets) {
          const af: 4 | 6 = m.fwmark ? (vs.af === 6 ? 6 : 4) : m.af;
          const service: ServiceConfig = {
            id: 0,
            af,
            protocol: t.fwmark ? 'tcp' : vs.protocol || 'tcp',
            addr: t.addr,
            port: t.port,
            fwmark: t.fwmark,
            sched: vs.sched,
            flags: vs.flags | (vs.persistenceTimeout ? SVC_F_PERSISTENT : 0),
            timeoutS: vs.persistenceTimeout,
            netmask: vs.granularity || (af === 6 ? '128' : '255.255.255.255'),
            pe: vs.pe,
            dests: [],
          };
          const mkDest = (s: RawServer, warn: boolean, sorry = false): DestConfig => ({
            id: 0,
            af: s.af,
            addr: s.addr,
            port: fixPort(s, t.addr, t.port, !!t.fwmark, warn, sorry),
            weight: s.weight ?? 1,
            fwd: s.fwd ?? 'Masq',
            uThreshold: s.uThreshold,
            lThreshold: s.lThreshold,
            tunType: s.tun.tunType,
            tunPort: s.tun.tunPort,
            tunFlags: s.tun.tunFlags,
          });
          const realServers: KaRealServer[] = servers.map((s) => ({
            dest: mkDest(s, first || (vs.kind === 'group' && (m.fwmark > 0 || t.addr === m.addrs[0]))),
            inhibitOnFailure: !!s.inhibit,
            notifyUp: s.notifyUp,
            notifyDown: s.notifyDown,
            checkers: s.checkers,
            node: s.node,
          }));
          out.push({
            service,
            delayLoopS: vs.delayLoopS,
            quorum: vs.quorum,
            hysteresis: vs.hysteresis,
            quorumUp: vs.quorumUp,
            quorumDown: vs.quorumDown,
            alpha: vs.alpha,
            omega: vs.omega,
            inhibitOnFailure: vs.inhibit,
            virtualhost: vs.virtualhost,
            sorryServer: vs.sorry ? mkDest(vs.sorry, first || (vs.kind === 'group' && (m.fwmark > 0 || t.addr === m.addrs[0])), true) : null,
            sorryServerInhibit: vs.sorryInhibit,
            realServers,
            node: vs.node,
          });
          first = false;
        }
      }
    }
    return out;
  }
}

export function buildKeepalivedConfig(parsed: ParsedConf): KeepalivedConfig {
  const b = new KeepalivedBuilder();
  b.run(parsed.nodes);
  const virtualServers = b.finish();
  return { virtualServers, ignored: b.ignored, problems: [...parsed.problems, ...b.problems] };
}

export function loadKeepalivedFile(path: string, opts: ParseOptions = {}): KeepalivedConfig {
  return buildKeepalivedConfig(parseKeepalivedFile(path, opts));
}

export function loadKeepalivedText(text: string, fileName: string, opts: ParseOptions = {}): KeepalivedConfig {
  return buildKeepalivedConfig(parseKeepalivedText(text, fileName, opts));
}
