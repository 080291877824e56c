// `uvs replay`: run the datapath engine over a capture file, deterministically. The same engine
// code as `uvs run`; only the clock (the capture's timestamps) and the I/O (a pcap reader, a pcap
// writer) differ. Every input frame gives one JSON decision line (--decisions):
//   {"i":0,"ts":1.5,"verdict":"tx","service":"TCP 10.0.0.100:80","dest":"10.0.0.11:80","fwd":"Route","conn":"new","template":null}
// with `reason` added on drops; frames the engine sends (rewritten frames, ARP replies, ICMP
// errors it generates) go to --out in order, stamped with the input frame's time.
// Next-hop MACs come from --neigh IP=MAC, else the placeholder 02:00:<the 4 bytes of the IP>.
// Extra options: --addr IP (the director's own address: TUN outer source, ICMP errors not about a
// VIP), --iface NAME (the capture's interface, for `-i` in mark rules), --max-conns N, --seed N
// (conn hash seed), --mtu N, --sysctl NAME=VALUE (conn_reuse_mode, expire_nodest_conn,
// expire_quiescent_template, sloppy_tcp), --summary (counts on stderr).

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Clock } from '../../engine/clock.js';
import { Engine, ENGINE_DROP_NAMES, VERDICT_ARP, VERDICT_NAMES, VERDICT_TX } from '../../engine/engine.js';
import { TEMPLATE_HIT, TEMPLATE_NEW } from '../../engine/persistence.js';
import { formatMac, parseMac, StaticNeighbours } from '../../engine/static-neighbours.js';
import type { MarkRule, VirtualServerTable } from '../../model/config.js';
import { FWD_NAMES } from '../../model/constants.js';
import { parseIPv4 } from '../../model/ipv4.js';
import { PacketDesc } from '../../packet/packet-desc.js';
import { PcapWriter, readCapture } from '../../io/pcapfile.js';
import { formatHelp, wantsHelp } from '../help.js';

const USAGE = `Usage: uvs replay --rules FILE [--marks FILE] --in IN.pcap [--out OUT.pcap] [--decisions OUT.jsonl]
                  [--mac DIRECTOR_MAC] [--neigh IP=MAC ...] [--addr IP] [--iface NAME] [--max-conns N]
                  [--seed N] [--mtu N] [--sysctl NAME=VALUE ...] [--summary]`;

/** Default director MAC when --mac is not given. */
export const DEFAULT_DIRECTOR_MAC = '02:00:00:00:00:01';
const DEFAULT_MAX_CONNS = 1 << 16;
const DEFAULT_SEED = 1;
const DEFAULT_MTU = 1500;
const SYSCTL_DEFAULTS: Readonly<Record<string, number>> = { conn_reuse_mode: 1, expire_nodest_conn: 0, expire_quiescent_template: 0, sloppy_tcp: 0 };

/** What replay() accepts (node:util parseArgs options; the flags are `--` + each key). */
export const REPLAY_OPTIONS = {
  rules: { type: 'string' }, marks: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' },
  decisions: { type: 'string' }, mac: { type: 'string' }, neigh: { type: 'string', multiple: true },
  addr: { type: 'string' }, iface: { type: 'string' }, 'max-conns': { type: 'string' }, seed: { type: 'string' }, mtu: { type: 'string' },
  summary: { type: 'boolean' }, sysctl: { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

export const HELP = formatHelp(USAGE, [
  { flag: '--rules FILE', text: 'ipvsadm -S rules (required)' },
  { flag: '--marks FILE', text: 'iptables-save mangle MARK rules for fwmark services (default: none)' },
  { flag: '--in IN.pcap', text: 'the capture to replay, pcap or pcapng; its timestamps are the engine\'s clock (required)' },
  { flag: '--out OUT.pcap', text: 'write the frames the engine sends (rewritten, ARP replies, ICMP errors) (default: not written)' },
  { flag: '--decisions OUT.jsonl', text: 'write one JSON decision per input frame (default: not written)' },
  { flag: '--mac DIRECTOR_MAC', text: `the director's MAC (default ${DEFAULT_DIRECTOR_MAC})` },
  { flag: '--neigh IP=MAC', text: 'a next-hop MAC, repeatable (default: 02:00 then the 4 bytes of the IP)' },
  { flag: '--addr IP', text: 'the director\'s own address: TUN outer source, ICMP errors not about a VIP (required with Tunnel dests)' },
  { flag: '--iface NAME', text: 'the capture\'s interface name, for -i in mark rules (default: none)' },
  { flag: '--max-conns N', text: `connection table size, 1..${1 << 26} (default ${DEFAULT_MAX_CONNS})` },
  { flag: '--seed N', text: `connection hash and random scheduler seed (default ${DEFAULT_SEED})` },
  { flag: '--mtu N', text: `the MTU frames are held to, 68..65535 (default ${DEFAULT_MTU})` },
  { flag: '--sysctl NAME=VALUE', text: `an IPVS sysctl, repeatable: ${Object.entries(SYSCTL_DEFAULTS).map(([k, v]) => `${k} (default ${v})`).join(', ')}` },
  { flag: '--summary', text: 'print frame, verdict and drop counts on stderr at the end (default: off)' },
]);
const HEADROOM = 64;
const CONN_WORDS = ['none', 'new', 'hit'];
const VERDICT_JSON = VERDICT_NAMES.map((n) => JSON.stringify(n));
const labelCache = new Map<string, string>();
function jsonLabel(label: string): string {
  let q = labelCache.get(label);
  if (q === undefined) {
    q = JSON.stringify(label);
    labelCache.set(label, q);
  }
  return q;
}

class UsageError extends Error {}

function fail(msg: string): never {
  throw new UsageError(msg);
}

function intOpt(v: string | undefined, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) fail(`--${name}: '${v}' is not a number`);
  const n = Number(v);
  if (n < min || n > max) fail(`--${name}: ${n} is out of range ${min}..${max}`);
  return n;
}

async function loadRules(path: string): Promise<VirtualServerTable> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(`--rules ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const { parseRulesFile } = await import('../../control/rules-file.js');
  const { table, errors } = parseRulesFile(text, path);
  if (errors.length) fail(errors.join('\n'));
  return table;
}

async function loadMarks(path: string): Promise<MarkRule[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(`--marks ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const { parseMarkRules } = await import('../../control/marks.js');
  const { rules, errors } = parseMarkRules(text, path);
  if (errors.length) fail(errors.join('\n'));
  return rules;
}

function parseNeigh(list: string[]): Array<[number, Uint8Array]> {
  return list.map((s) => {
    const eq = s.indexOf('=');
    const ip = eq > 0 ? parseIPv4(s.slice(0, eq)) : null;
    const mac = eq > 0 ? parseMac(s.slice(eq + 1)) : null;
    if (ip === null || mac === null) fail(`--neigh '${s}': expected IP=MAC, e.g. 10.0.0.11=02:00:00:00:00:11`);
    return [ip, mac];
  });
}

function tsSeconds(ms: number): number {
  return Number((ms / 1000).toFixed(6));
}

export async function replay(argv: string[]): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: REPLAY_OPTIONS,
      strict: true, allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const rulesPath = values.rules as string | undefined;
  const inPath = values.in as string | undefined;
  if (!rulesPath) fail('--rules FILE is required');
  if (!inPath) fail('--in IN.pcap is required');
  const macText = (values.mac as string | undefined) ?? DEFAULT_DIRECTOR_MAC;
  const mac = parseMac(macText);
  if (!mac) fail(`--mac '${macText}': expected a MAC like 02:00:00:00:00:01`);
  let addr = 0;
  if (values.addr !== undefined) {
    const a = parseIPv4(values.addr as string);
    if (a === null) fail(`--addr '${String(values.addr)}': expected an IPv4 address`);
    addr = a;
  }
  const maxConns = intOpt(values['max-conns'] as string | undefined, 'max-conns', 1, 1 << 26, DEFAULT_MAX_CONNS);
  const seed = intOpt(values.seed as string | undefined, 'seed', 0, 0xffffffff, DEFAULT_SEED);
  const mtu = intOpt(values.mtu as string | undefined, 'mtu', 68, 65535, DEFAULT_MTU);
  const neigh = parseNeigh((values.neigh as string[] | undefined) ?? []);
  const sysctl: Record<string, number> = { ...SYSCTL_DEFAULTS };
  for (const kv of (values.sysctl as string[] | undefined) ?? []) {
    const m = /^([a-z_]+)=(\d+)$/.exec(kv);
    if (!m || !(m[1]! in sysctl)) fail(`--sysctl '${kv}': expected NAME=NUMBER with NAME one of ${Object.keys(sysctl).join(', ')}`);
    sysctl[m[1]!] = Number(m[2]);
  }

  const table = await loadRules(rulesPath);
  if (values.marks !== undefined) table.marks = await loadMarks(values.marks as string);
  if (addr === 0 && table.services.some((s) => s.dests.some((d) => d.fwd === 'Tunnel'))) {
    fail('the rules have Tunnel dests: give the director address for the outer header with --addr IP');
  }

  const clock = new Clock(0);
  const engine = new Engine({
    maxConns, maxServices: Math.max(16, table.services.length + 1),
    maxDests: Math.max(64, table.services.reduce((n, s) => n + s.dests.length, 0) * 2 + 1),
    mac, addr, clock, seed, randomSeed: seed, mtu, exactTimers: true, neighbours: new StaticNeighbours(neigh),
    ifaceNames: values.iface !== undefined ? [values.iface as string] : [],
    connReuseMode: sysctl.conn_reuse_mode, expireNodestConn: sysctl.expire_nodest_conn !== 0,
    expireQuiescentTemplate: sysctl.expire_quiescent_template !== 0, sloppyTcp: sysctl.sloppy_tcp !== 0,
  });
  const errors = engine.applyTable(table);
  if (errors.length) fail(errors.map((e) => `${rulesPath}: ${e}`).join('\n'));

  let out: PcapWriter | null = null;
  if (values.out !== undefined) {
    try {
      out = new PcapWriter(values.out as string);
    } catch (err) {
      fail(`--out ${String(values.out)}: ${(err as Error).message}`);
    }
  }
  // Decisions are streamed to the file in chunks (a capture may hold millions of frames).
  let decFd = -1;
  if (values.decisions !== undefined) {
    try {
      decFd = openSync(values.decisions as string, 'w');
    } catch (err) {
      out?.close();
      fail(`--decisions ${String(values.decisions)}: ${(err as Error).message}`);
    }
  }
  let pending = '';
  const wantDecisions = decFd >= 0;
  const buf = new Uint8Array(HEADROOM + 65536 + 64);
  const d = new PacketDesc(buf);
  const dec = engine.decision;
  let i = 0;
  let clockStarted = false;
  try {
    await readCapture(inPath, (tsMs, frame, capLen) => {
      // Virtual time: the capture's timestamps (never backwards).
      if (!clockStarted || tsMs > clock.nowMs) {
        if (!clockStarted) { engine.conns.wheel.cursor = Math.floor(tsMs / 100); clockStarted = true; }
        clock.nowMs = tsMs;
      }
      engine.resetExtra();
      engine.tick();
      const len = Math.min(capLen, 65536);
      buf.set(frame.subarray(0, len), HEADROOM);
      d.buf = buf; d.off = HEADROOM; d.len = len; d.port = 0;
      const v = engine.processFrame(d);
      if (out && (v === VERDICT_TX || v === VERDICT_ARP)) out.write(tsMs, buf, d.off, d.len);
      if (out) for (let k = 0; k < engine.extraCount; k++) out.write(tsMs, engine.extraBuf, engine.extraOff[k]!, engine.extraLen[k]!);
      if (wantDecisions) {
        // The same object JSON.stringify would print, built from pre-quoted pieces (the labels
        // only change when the table does), so long captures are not bound by stringify.
        pending += `{"i":${i},"ts":${tsSeconds(tsMs)},"verdict":${VERDICT_JSON[v]},"service":${dec.svcSlot >= 0 ? jsonLabel(engine.serviceLabels[dec.svcSlot]!) : 'null'},` +
          `"dest":${dec.destSlot >= 0 ? jsonLabel(engine.destLabels[dec.destSlot]!) : 'null'},"fwd":${dec.fwd >= 0 ? JSON.stringify(FWD_NAMES[dec.fwd]) : 'null'},` +
          `"conn":"${CONN_WORDS[dec.conn]}","template":${dec.template === TEMPLATE_NEW ? '"new"' : dec.template === TEMPLATE_HIT ? '"hit"' : 'null'}` +
          `${dec.reason >= 0 ? `,"reason":${JSON.stringify(ENGINE_DROP_NAMES[dec.reason])}` : ''}}\n`;
        if (pending.length > 1 << 16) { writeSync(decFd, pending); pending = ''; }
      }
      i++;
    });
  } catch (err) {
    out?.close();
    if (decFd >= 0) closeSync(decFd);
    if (err instanceof UsageError) throw err;
    fail(`--in ${(err as Error).message}`);
  }
  out?.close();
  if (decFd >= 0) {
    if (pending) writeSync(decFd, pending);
    closeSync(decFd);
  }
  if (values.summary) {
    const vs = engine.stats.verdicts;
    const drops: string[] = [];
    engine.stats.drops.forEach((n, k) => { if (n) drops.push(`${ENGINE_DROP_NAMES[k]} ${n}`); });
    process.stderr.write(`uvs replay: ${i} frames: tx ${vs[0]}, drop ${vs[1]}, pass ${vs[2]}, arp ${vs[3]}; conns ${engine.totalStats().conns}` +
      `${drops.length ? `; drops: ${drops.join(', ')}` : ''}; director ${formatMac(mac)}\n`);
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    return await replay(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`uvs replay: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}
