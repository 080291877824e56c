// ipvsadm's output: `-L` in every mode (default, --tun-info, --stats, --rate, --thresholds,
// --persistent-conn, --exact), `-S` rules, `-L -c` connections and `--timeout`, with the printf
// widths, trailing spaces, 33/28-character name truncation and sort order of ipvsadm.c and
// libipvs (ipvs_cmp_services/ipvs_cmp_dests: C int differences of unsigned values).

import type { DestConfig, ServiceConfig, Timeouts } from '../model/config.js';
import type { ConnSnapshot, DestCounters, StatsCounters } from '../model/snapshot.js';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3, CONN_TAB_SIZE } from '../model/constants.js';
import { FMT } from './ipvsadm-args.js';
import { inetAton, ipv6Words32 } from './inet.js';
import type { NameResolver } from './names.js';
import type { Rates } from './rate.js';

export interface ListingSource {
  names: NameResolver;
  /** Counters as displayed: current minus the -Z zero point. */
  serviceStats(svc: ServiceConfig): StatsCounters;
  destCounters(dest: DestConfig): DestCounters;
  serviceRates(svc: ServiceConfig): Rates;
  destRates(dest: DestConfig): Rates;
}

export function protocolNumber(p: ServiceConfig['protocol']): number {
  return p === 'udp' ? IPPROTO_UDP : p === 'sctp' ? IPPROTO_SCTP : IPPROTO_TCP;
}

function cInt(v: number): number {
  return v | 0;
}

function addrWords(af: number, addr: string): number[] {
  return af === 6 ? ipv6Words32(addr) : [inetAton(addr) ?? 0];
}

function cmpAddr(af: number, a: string, b: string): number {
  const wa = addrWords(af, a);
  const wb = addrWords(af, b);
  let r = 0;
  for (let i = 0; !r && i < wa.length; i++) r = cInt(wa[i]! - wb[i]!);
  return r;
}

const AF_NUM = (af: number): number => (af === 6 ? 10 : 2);

/** ipvs_cmp_services. */
export function cmpServices(s1: ServiceConfig, s2: ServiceConfig): number {
  let r = cInt(s1.fwmark - s2.fwmark);
  if (r) return r;
  r = AF_NUM(s1.af) - AF_NUM(s2.af);
  if (r) return r;
  r = protocolNumber(s1.protocol) - protocolNumber(s2.protocol);
  if (r) return r;
  r = cmpAddr(s1.af, s1.addr || '0.0.0.0', s2.addr || '0.0.0.0');
  if (r) return r;
  return s1.port - s2.port;
}

/** ipvs_cmp_dests. */
export function cmpDests(d1: DestConfig, d2: DestConfig): number {
  const r = d1.af === d2.af ? cmpAddr(d1.af, d1.addr, d2.addr) : AF_NUM(d1.af) - AF_NUM(d2.af);
  if (r) return r;
  return d1.port - d2.port;
}

/** printf("%-Ns") */
export function padEnd(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** printf("%Ns") */
export function padStart(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

/** addrport_to_anyname(): at most 59 characters, as the 60-byte buffer. */
export function addrPortName(af: number, addr: string, port: number, protocol: string, format: number, names: NameResolver): string {
  let host = addr;
  let portText = String(port);
  if (!(format & FMT.NUMERIC)) {
    host = names.addrToHost(af === 6 ? 6 : 4, addr) ?? addr;
    if (protocol) portText = names.portToService(port, protocol) ?? portText;
  }
  const s = af === 6 ? `[${host}]:${portText}` : `${host}:${portText}`;
  return s.slice(0, 59);
}

/** print_largenum(). */
export function largeNum(n: number, format: number): string {
  const s = String(Math.trunc(n));
  if (format & FMT.EXACT) return padStart(s, s.length <= 8 ? 9 : s.length + 1);
  if (n < 1e8) return padStart(s, 9);
  if (n < 1e9) return padStart(String(Math.floor(n / 1e3)), 8) + 'K';
  if (n < 1e11) return padStart(String(Math.floor(n / 1e6)), 8) + 'M';
  if (n < 1e14) return padStart(String(Math.floor(n / 1e9)), 8) + 'G';
  return padStart(String(Math.floor(n / 1e12)), 8) + 'T';
}

function schedFlagsText(svc: ServiceConfig): string {
  const f: string[] = [];
  if (svc.sched === 'sh' || svc.sched === 'mh') {
    if (svc.flags & SVC_F_SCHED1) f.push(`${svc.sched}-fallback`);
    if (svc.flags & SVC_F_SCHED2) f.push(`${svc.sched}-port`);
  } else {
    if (svc.flags & SVC_F_SCHED1) f.push('flag-1');
    if (svc.flags & SVC_F_SCHED2) f.push('flag-2');
    if (svc.flags & SVC_F_SCHED3) f.push('flag-3');
  }
  return f.join(',');
}

export function titleLines(format: number): string {
  const t = 'Prot LocalAddress:Port';
  if (format & FMT.STATS) return `${padEnd(t, 33)} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((x) => padStart(x, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.RATE) return `${padEnd(t, 33)} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((x) => padStart(x, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.THRESHOLDS) return `${padEnd(t, 33)} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((x) => padEnd(x, 10)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.PERSISTENTCONN) return `${padEnd(t, 33)} ${padEnd('Weight', 9)} ${padEnd('PersistConn', 11)} ${padEnd('ActiveConn', 10)} ${padEnd('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.TUN_INFO) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  if (!(format & FMT.RULE)) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  return '';
}

export const VERSION_HEADER = `IP Virtual Server version 1.2.1 (size=${CONN_TAB_SIZE})\n`;

const FWD_SWITCH: Record<string, string> = { Masq: '-m', Tunnel: '-i', Local: '-g', Route: '-g', Bypass: '-g' };
const TUN_OPT = { nocsum: '--tun-nocsum', csum: '--tun-csum', remcsum: '--tun-remcsum' };
const TUN_FLAG = { nocsum: '-c', csum: '+c', remcsum: 'r+c' };

function tunInfo(d: DestConfig): string | null {
  if (d.fwd !== 'Tunnel') return null;
  if (d.tunType === 'ipip') return 'ipip';
  if (d.tunType === 'gue') return `gue:${d.tunPort}:${TUN_FLAG[d.tunFlags]}`.slice(0, 15);
  return `gre:${TUN_FLAG[d.tunFlags]}`;
}

/** print_service_entry(). */
export function serviceEntry(svc: ServiceConfig, format: number, src: ListingSource): string {
  let out = '';
  let svcName: string;
  if (svc.fwmark) {
    if (format & FMT.RULE) svcName = svc.af === 6 ? `-f ${svc.fwmark} -6` : `-f ${svc.fwmark}`;
    else svcName = svc.af === 6 ? `FWM  ${svc.fwmark} IPv6` : `FWM  ${svc.fwmark}`;
  } else {
    const vname = addrPortName(svc.af, svc.addr, svc.port, svc.protocol, format, src.names);
    if (format & FMT.RULE) {
      const stype = svc.protocol === 'tcp' ? '-t' : svc.protocol === 'udp' ? '-u' : '--sctp-service';
      svcName = `${stype} ${vname}`;
    } else {
      svcName = `${padEnd(svc.protocol.toUpperCase(), 4)} ${vname}`;
      if (svc.af !== 6) svcName = svcName.slice(0, 33);
    }
  }
  const schedBits = svc.flags & (SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3);
  if (format & FMT.RULE) {
    out += `-A ${svcName} -s ${svc.sched}`;
    if (svc.flags & SVC_F_PERSISTENT) {
      out += ` -p ${svc.timeoutS}`;
      if (svc.af === 4 && svc.netmask !== '255.255.255.255') out += ` -M ${svc.netmask}`;
      if (svc.af === 6 && svc.netmask !== '128') out += ` -M ${svc.netmask}`;
    }
    if (svc.pe) out += ` --pe ${svc.pe}`;
    if (svc.flags & SVC_F_ONEPACKET) out += ' -o';
    if (schedBits) out += ` -b ${schedFlagsText(svc)}`;
  } else if (format & (FMT.STATS | FMT.RATE)) {
    out += padEnd(svcName, 33);
    if (format & FMT.STATS) {
      const s = src.serviceStats(svc);
      out += [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => largeNum(n, format)).join('');
    } else {
      const r = src.serviceRates(svc);
      out += [r.cps, r.inpps, r.outpps, r.inbps, r.outbps].map((n) => largeNum(n, format)).join('');
    }
  } else {
    out += `${svcName} ${svc.sched}`;
    if (schedBits) out += ` (${schedFlagsText(svc)})`;
    if (svc.flags & SVC_F_PERSISTENT) {
      out += ` persistent ${svc.timeoutS}`;
      if (svc.af === 4 && svc.netmask !== '255.255.255.255') out += ` mask ${svc.netmask}`;
      if (svc.af === 6 && svc.netmask !== '128') out += ` mask ${svc.netmask}`;
      if (svc.pe) out += ` pe ${svc.pe}`;
    }
    if (svc.flags & SVC_F_ONEPACKET) out += ' ops';
  }
  out += '\n';

  const dests = [...svc.dests];
  if (!(format & FMT.NOSORT)) dests.sort(cmpDests);
  for (const d of dests) {
    let dname = addrPortName(d.af, d.addr, d.port, svc.protocol, format, src.names);
    if (!(format & FMT.RULE) && d.af !== 6) dname = dname.slice(0, 28);
    if (format & FMT.RULE) {
      const head = `-a ${svcName} -r ${dname} ${FWD_SWITCH[d.fwd]} -w ${d.weight}`;
      if (d.fwd === 'Tunnel') {
        if (d.tunType === 'gre') out += `${head} --tun-type gre ${TUN_OPT[d.tunFlags]}\n`;
        else if (d.tunType === 'gue') out += `${head} --tun-type gue --tun-port ${d.tunPort} ${TUN_OPT[d.tunFlags]}\n`;
        else out += `${head} --tun-type ipip\n`;
      } else out += `${head}\n`;
      continue;
    }
    const c = src.destCounters(d);
    if (format & FMT.STATS) {
      const s = c.stats;
      out += `  -> ${padEnd(dname, 28)}${[s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => largeNum(n, format)).join('')}\n`;
    } else if (format & FMT.RATE) {
      const r = src.destRates(d);
      out += `  -> ${padEnd(dname, 28)} ${padStart(String(r.cps), 8)} ${padStart(String(r.inpps), 8)} ${padStart(String(r.outpps), 8)}${largeNum(r.inbps, format)}${largeNum(r.outbps, format)}\n`;
    } else if (format & FMT.THRESHOLDS) {
      out += `  -> ${padEnd(dname, 28)} ${padEnd(String(d.uThreshold), 10)} ${padEnd(String(d.lThreshold), 10)} ${padEnd(String(c.activeConns), 10)} ${padEnd(String(c.inactConns), 10)}\n`;
    } else if (format & FMT.PERSISTENTCONN) {
      out += `  -> ${padEnd(dname, 28)} ${padEnd(String(d.weight), 9)} ${padEnd(String(c.persistConns), 11)} ${padEnd(String(c.activeConns), 10)} ${padEnd(String(c.inactConns), 10)}\n`;
    } else if (format & FMT.TUN_INFO) {
      out += `  -> ${padEnd(dname, 28)} ${padEnd(d.fwd, 7)} ${padEnd(tunInfo(d) ?? 'n/a', 13)} ${padEnd(String(d.weight), 6)} ${padEnd(String(c.activeConns), 10)} ${padEnd(String(c.inactConns), 10)}\n`;
    } else {
      out += `  -> ${padEnd(dname, 28)} ${padEnd(d.fwd, 7)} ${padEnd(String(d.weight), 6)} ${padEnd(String(c.activeConns), 10)} ${padEnd(String(c.inactConns), 10)}\n`;
    }
  }
  return out;
}

/** list_all(): header (not for -S), title, every service sorted. */
export function listAll(services: readonly ServiceConfig[], format: number, src: ListingSource): string {
  let out = format & FMT.RULE ? '' : VERSION_HEADER;
  out += titleLines(format);
  const list = [...services];
  if (!(format & FMT.NOSORT)) list.sort(cmpServices);
  for (const s of list) out += serviceEntry(s, format, src);
  return out;
}

export function listTimeout(t: Timeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcpS} ${t.tcpFinS} ${t.udpS}\n`;
}

function fmtV4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** list_conn(): the kernel's /proc/net/ip_vs_conn rows as ipvsadm reprints them. */
export function listConnections(conns: readonly ConnSnapshot[], format: number, names: NameResolver): string {
  let out = 'IPVS connection entries\n';
  if (format & FMT.PERSISTENTCONN) out += `pro expire ${padEnd('state', 11)} ${padEnd('source', 18)} ${padEnd('virtual', 18)} ${padEnd('destination', 18)} ${padEnd('pe name', 16)} pe_data\n`;
  else out += `pro expire ${padEnd('state', 11)} ${padEnd('source', 18)} ${padEnd('virtual', 18)} destination\n`;
  for (const c of conns) {
    const proto = c.protocol === 'TCP' ? 'tcp' : c.protocol === 'UDP' ? 'udp' : c.protocol === 'SCTP' ? 'sctp' : '';
    const cname = addrPortName(4, fmtV4(c.caddr), c.cport, proto, format, names);
    const vname = addrPortName(4, fmtV4(c.vaddr), c.vport, proto, format, names);
    const dname = addrPortName(4, fmtV4(c.daddr), c.dport, proto, format, names);
    const expires = Math.max(0, Math.floor(c.expiresInMs / 1000));
    const exp = `${String(Math.floor(expires / 60)).padStart(2, '0')}:${String(expires % 60).padStart(2, '0')}`;
    out += `${padEnd(c.protocol, 3)} ${padEnd(exp, 6)} ${padEnd(c.state, 11)} ${padEnd(cname, 18)} ${padEnd(vname, 18)} ${dname}\n`;
  }
  return out;
}
