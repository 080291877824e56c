// Firewall-mark rules in iptables-save syntax (the mangle table's PREROUTING MARK rules that
// give fwmark services their packets), parsed into MarkRule[] for uvs's own classifier.
//
// Accepted: `*mangle` ... `COMMIT` sections (lines outside *mangle belong to other tables and are
// skipped; a file of bare `-A PREROUTING` lines is read as mangle), chain policy lines
// (`:PREROUTING ACCEPT [0:0]`), `[pkts:bytes]` counters, an optional leading `iptables
// [-t mangle]`, and in a rule: -s/-d ADDR[/PREFIX|/DOTTED-MASK], -p PROTO, -i IFACE[+],
// --sport/--dport N[:M] (with -m tcp|udp|sctp), -m multiport --sports/--dports LIST,
// -m comment --comment TEXT, `!` before any of these, and the MARK target with --set-mark V[/M],
// --set-xmark V[/M], --and-mark, --or-mark, --xor-mark. Anything else (other chains of mangle,
// other targets, other matches) is reported as `file:line: message`, never silently dropped:
// a rule uvs cannot follow exactly is not used at all.

import type { MarkRule } from '../model/config.js';
import { IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../model/constants.js';
import { inetPton4 } from './inet.js';
import type { NameResolver } from './names.js';

export interface MarksResult {
  rules: MarkRule[];
  errors: string[];
}

/** Splits like iptables-save quoting: "..." is one word, \" inside it a quote. */
function words(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let w = '';
    while (i < line.length && !/\s/.test(line[i]!)) {
      if (line[i] === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          w += line[i++];
        }
        if (i >= line.length) return null;
        i++;
      } else w += line[i++];
    }
    out.push(w);
  }
  return out;
}

function parseNum(s: string | undefined): number | null {
  if (s === undefined) return null;
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(s)) v = parseInt(s, 16);
  else if (/^\d+$/.test(s)) v = Number(s);
  else return null;
  return v <= 0xffffffff ? v >>> 0 : null;
}

function parseAddrMask(s: string): { addr: number; mask: number } | null {
  const [a, m] = s.split('/', 2);
  const addr = inetPton4(a ?? '');
  if (addr === null) return null;
  let mask = 0xffffffff;
  if (m !== undefined) {
    if (/^\d+$/.test(m)) {
      const p = Number(m);
      if (p > 32) return null;
      mask = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
    } else {
      const dm = inetPton4(m);
      if (dm === null) return null;
      mask = dm;
    }
  }
  return { addr: (addr & mask) >>> 0, mask };
}

const PROTOS: Record<string, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP, icmp: IPPROTO_ICMP, all: 0 };

export function parseMarkRules(text: string, fileName: string, names?: NameResolver): MarksResult {
  const rules: MarkRule[] = [];
  const errors: string[] = [];
  let table: string | null = null;
  let sawTable = false;
  let tableLine = 0;
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const at = `${fileName}:${lineNo}`;
    const err = (msg: string): void => {
      errors.push(`${at}: ${msg}`);
    };
    let line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      if (table !== null) err(`*${table} (line ${tableLine}) not closed by COMMIT before a new table`);
      table = line.slice(1).trim();
      tableLine = lineNo;
      sawTable = true;
      return;
    }
    if (line === 'COMMIT') {
      if (table === null) err('COMMIT outside a table');
      table = null;
      return;
    }
    if (line.startsWith(':')) return; // chain policy / declaration
    line = line.replace(/^\[\d+:\d+\]\s*/, '');
    const w = words(line);
    if (!w) return err('unterminated quote');
    if (w[0] && /^(ip6?tables)(-legacy|-nft)?$/.test(w[0])) w.shift();
    let lineTable = sawTable ? table : 'mangle';
    if (w[0] === '-t' || w[0] === '--table') {
      lineTable = w[1] ?? '';
      w.splice(0, 2);
    }
    if (lineTable === null) return err('rule outside a table section (*mangle ... COMMIT)');
    if (lineTable !== 'mangle') return; // other tables do not set marks for uvs
    if (w[0] !== '-A' && w[0] !== '--append') return err(`unsupported command '${w[0] ?? ''}' (only -A)`);
    const chain = w[1];
    if (chain !== 'PREROUTING') return err(`rule in mangle chain '${chain ?? ''}' is not used by uvs (only PREROUTING is)`);
    const r: MarkRule = {
      origin: at, srcAddr: 0, srcMask: 0, srcNegate: false, dstAddr: 0, dstMask: 0, dstNegate: false,
      protocol: 0, protocolNegate: false, srcPorts: [], srcPortsNegate: false, dstPorts: [], dstPortsNegate: false,
      inIface: '', inIfaceNegate: false, value: 0, mask: 0, op: 'xmark',
    };
    const modules = new Set<string>();
    let target = '';
    let haveMark = false;
    let negate = false;
    const ports = (s: string | undefined, multi: boolean): Array<[number, number]> | null => {
      if (!s) return null;
      const list = multi ? s.split(',') : [s];
      const out: Array<[number, number]> = [];
      for (const item of list) {
        const [a, b] = item.split(':', 2);
        const one = (p: string | undefined, dflt: number): number | null => {
          if (p === undefined || p === '') return dflt;
          if (/^\d+$/.test(p)) return Number(p) <= 65535 ? Number(p) : null;
          const proto = r.protocol === IPPROTO_UDP ? 'udp' : r.protocol === IPPROTO_SCTP ? 'sctp' : 'tcp';
          const v = names?.serviceToPort(p, proto) ?? -1;
          return v >= 0 ? v : null;
        };
        const lo = one(a, 0);
        const hi = b === undefined ? lo : one(b, 65535);
        if (lo === null || hi === null || lo > hi) return null;
        out.push([lo, hi]);
      }
      return out;
    };
    let i = 2;
    let bad = false;
    const fail = (msg: string): void => {
      if (!bad) err(msg);
      bad = true;
    };
    while (i < w.length && !bad) {
      const opt = w[i++]!;
      if (opt === '!') {
        negate = true;
        continue;
      }
      const arg = (): string | undefined => w[i++];
      const neg = negate;
      negate = false;
      switch (opt) {
        case '-s': case '--source': case '--src': case '-d': case '--destination': case '--dst': {
          const v = arg();
          const am = v ? parseAddrMask(v) : null;
          if (!am) {
            fail(`bad address '${v ?? ''}' for ${opt}`);
            break;
          }
          if (opt.startsWith('-s') || opt === '--source' || opt === '--src') {
            r.srcAddr = am.addr;
            r.srcMask = am.mask;
            r.srcNegate = neg;
          } else {
            r.dstAddr = am.addr;
            r.dstMask = am.mask;
            r.dstNegate = neg;
          }
          break;
        }
        case '-p': case '--protocol': {
          const v = (arg() ?? '').toLowerCase();
          const p = v in PROTOS ? PROTOS[v]! : /^\d+$/.test(v) && Number(v) <= 255 ? Number(v) : null;
          if (p === null) fail(`unknown protocol '${v}'`);
          else {
            r.protocol = p;
            r.protocolNegate = neg;
          }
          break;
        }
        case '-i': case '--in-interface': {
          const v = arg();
          if (!v) fail('-i needs an interface name');
          else {
            r.inIface = v;
            r.inIfaceNegate = neg;
          }
          break;
        }
        case '-m': case '--match': {
          const m = arg() ?? '';
          if (!['tcp', 'udp', 'sctp', 'multiport', 'comment'].includes(m)) fail(`unsupported match '-m ${m}'`);
          else if ((m === 'tcp' || m === 'udp' || m === 'sctp') && r.protocol !== PROTOS[m]) fail(`-m ${m} needs -p ${m} before it`);
          else modules.add(m);
          break;
        }
        case '--comment':
          if (!modules.has('comment')) fail('--comment needs -m comment');
          else arg();
          break;
        case '--sport': case '--source-port': case '--dport': case '--destination-port': {
          if (!modules.has('tcp') && !modules.has('udp') && !modules.has('sctp')) {
            fail(`${opt} needs -m tcp, -m udp or -m sctp`);
            break;
          }
          const v = arg();
          const p = ports(v, false);
          if (!p) fail(`bad port '${v ?? ''}' for ${opt}`);
          else if (opt === '--sport' || opt === '--source-port') {
            r.srcPorts = p;
            r.srcPortsNegate = neg;
          } else {
            r.dstPorts = p;
            r.dstPortsNegate = neg;
          }
          break;
        }
        case '--sports': case '--source-ports': case '--dports': case '--destination-ports': {
          if (!modules.has('multiport')) {
            fail(`${opt} needs -m multiport`);
            break;
          }
          const v = arg();
          const p = ports(v, true);
          if (!p) fail(`bad port list '${v ?? ''}' for ${opt}`);
          else if (opt.startsWith('--s')) {
            r.srcPorts = p;
            r.srcPortsNegate = neg;
          } else {
            r.dstPorts = p;
            r.dstPortsNegate = neg;
          }
          break;
        }
        case '-j': case '--jump': {
          target = arg() ?? '';
          if (target !== 'MARK') fail(`unsupported target '-j ${target}' (only -j MARK)`);
          break;
        }
        case '--set-mark': case '--set-xmark': {
          if (target !== 'MARK') {
            fail(`${opt} needs -j MARK`);
            break;
          }
          const v = arg() ?? '';
          const [vs, ms] = v.split('/', 2);
          const value = parseNum(vs);
          const mask = ms === undefined ? 0xffffffff : parseNum(ms);
          if (value === null || mask === null) {
            fail(`bad mark '${v}'`);
            break;
          }
          r.value = value;
          r.mask = mask;
          r.op = opt === '--set-mark' ? 'mark' : 'xmark';
          haveMark = true;
          break;
        }
        case '--and-mark': case '--or-mark': case '--xor-mark': {
          if (target !== 'MARK') {
            fail(`${opt} needs -j MARK`);
            break;
          }
          const bits = parseNum(arg());
          if (bits === null) {
            fail(`bad value for ${opt}`);
            break;
          }
          r.op = 'xmark';
          if (opt === '--and-mark') {
            r.value = 0;
            r.mask = ~bits >>> 0;
          } else if (opt === '--or-mark') {
            r.value = bits;
            r.mask = bits;
          } else {
            r.value = bits;
            r.mask = 0;
          }
          haveMark = true;
          break;
        }
        default:
          fail(`unsupported option '${neg ? '! ' : ''}${opt}'`);
      }
      if (neg && ['-m', '--match', '-j', '--jump', '--comment', '--set-mark', '--set-xmark', '--and-mark', '--or-mark', '--xor-mark'].includes(opt)) fail(`'!' cannot negate ${opt}`);
    }
    if (bad) return;
    if (negate) return err("'!' at the end of the rule");
    if (!target) return err('rule without a target (-j MARK ...)');
    if (!haveMark) return err('-j MARK without --set-mark/--set-xmark');
    rules.push(r);
  });
  if (table !== null) errors.push(`${fileName}:${tableLine}: table *${table} not closed by COMMIT`);
  return { rules, errors };
}

/** The mark a packet leaves PREROUTING with, for tests and `uvs trace` explanations. */
export function applyMarkRules(rules: readonly MarkRule[], pkt: { saddr: number; daddr: number; protocol: number; sport: number; dport: number; iface: string }, mark = 0): number {
  const inRanges = (p: number, rs: Array<[number, number]>): boolean => rs.some(([a, b]) => p >= a && p <= b);
  const ifaceMatch = (want: string, have: string): boolean => (want.endsWith('+') ? have.startsWith(want.slice(0, -1)) : want === have);
  for (const r of rules) {
    if (r.srcMask && ((pkt.saddr & r.srcMask) >>> 0 === r.srcAddr) === r.srcNegate) continue;
    if (!r.srcMask && r.srcNegate) continue;
    if (r.dstMask && ((pkt.daddr & r.dstMask) >>> 0 === r.dstAddr) === r.dstNegate) continue;
    if (!r.dstMask && r.dstNegate) continue;
    if (r.protocol && (pkt.protocol === r.protocol) === r.protocolNegate) continue;
    if (r.srcPorts.length && inRanges(pkt.sport, r.srcPorts) === r.srcPortsNegate) continue;
    if (r.dstPorts.length && inRanges(pkt.dport, r.dstPorts) === r.dstPortsNegate) continue;
    if (r.inIface && ifaceMatch(r.inIface, pkt.iface) === r.inIfaceNegate) continue;
    mark = r.op === 'mark' ? ((mark & ~r.mask) | r.value) >>> 0 : ((mark & ~r.mask) ^ r.value) >>> 0;
  }
  return mark;
}
