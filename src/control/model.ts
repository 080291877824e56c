// The control plane's model: one VirtualServerTable changed only through the ipvsadm command
// language. `execute(argv, stdin, stats)` runs one ipvsadm 1.31 command exactly as ipvsadm and
// the kernel would (parse → option checks → the kernel's validation and errno → ipvsadm's
// message and exit status); a command that fails changes nothing. Ids of services and dests are
// allocated here and stay stable across edits; a dest deleted (by -d, or with its service by -D
// or -C) and added again to a service with the same address gets its old id back, as the kernel
// reuses the dest from its trash (ip_vs_trash_get_dest(): counters survive).
// keepalived and the health checkers call the typed methods below, which build the same
// ParsedCommand and go through the same validation.

import { emptyTable, type DestConfig, type ServiceConfig, type VirtualServerTable, type MarkRule } from '../model/config.js';
import { FWD_NAMES, IPPROTO_SCTP, IPPROTO_UDP, SVC_F_PERSISTENT } from '../model/constants.js';
import { zeroStats, type DestCounters, type StatsCounters, type StatsSource } from '../model/snapshot.js';
import type { CommandResult } from './protocol.js';
import {
  Cmd,
  FMT,
  FWD_TUNNEL,
  IpvsadmExit,
  OPT,
  TUN_NAMES,
  newDestArgs,
  newSvcArgs,
  parseCommand,
  tryHelp,
  type DestArgs,
  type ParsedCommand,
  type SvcArgs,
} from './ipvsadm-args.js';
import { inetAton, inetPton6 } from './inet.js';
import { SystemResolver, type NameResolver } from './names.js';
import { listAll, listConnections, listTimeout, serviceEntry, titleLines, type ListingSource } from './listing.js';
import { RateEstimator, type Rates } from './rate.js';
import { getScheduler } from '../sched/registry.js';

/** keepalived's lvs_schedulers list (lb_algo / lvs_sched are checked against it). */
export const KNOWN_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];
/** Persistence engines the kernel has (ip_vs_pe_sip). */
export const KNOWN_PES = ['sip'];

type Errno = 'EEXIST' | 'ENOENT' | 'ESRCH' | 'EINVAL' | 'ERANGE' | 'ENOPROTOOPT';

/** ipvs_strerror(): per-operation texts first, then the generic ones, then strerror(). */
function ipvsStrerror(cmd: Cmd, errno: Errno): string {
  const specific: Partial<Record<Cmd, Partial<Record<Errno, string>>>> = {
    [Cmd.ADD]: { EEXIST: 'Service already exists', ENOENT: 'Scheduler or persistence engine not found' },
    [Cmd.EDIT]: { ESRCH: 'No such service', ENOENT: 'Scheduler or persistence engine not found' },
    [Cmd.DEL]: { ESRCH: 'No such service' },
    [Cmd.ZERO]: { ESRCH: 'No such service' },
    [Cmd.ADDDEST]: { ESRCH: 'Service not defined', EEXIST: 'Destination already exists' },
    [Cmd.EDITDEST]: { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
    [Cmd.DELDEST]: { ESRCH: 'Service not defined', ENOENT: 'No such destination' },
    [Cmd.STARTDAEMON]: { EEXIST: 'Daemon has already run' },
    [Cmd.STOPDAEMON]: { ESRCH: 'No daemon is running' },
    [Cmd.LIST]: { ESRCH: 'No such service' },
  };
  const generic: Record<Errno, string> = {
    EINVAL: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
    ENOPROTOOPT: 'Protocol not available',
    EEXIST: 'File exists',
    ENOENT: 'No such file or directory',
    ESRCH: 'No such process',
    ERANGE: 'Numerical result out of range',
  };
  return specific[cmd]?.[errno] ?? generic[errno];
}

class KernelError extends Error {
  constructor(readonly errno: Errno) {
    super(errno);
  }
}

export type ChangeListener = (table: VirtualServerTable) => void;

export interface ControlModelOptions {
  names?: NameResolver;
  /** argv[0] in messages ("Try `ipvsadm -h' ..."). */
  program?: string;
}

const PROTO_OF: Record<number, ServiceConfig['protocol']> = { 6: 'tcp', [IPPROTO_UDP]: 'udp', [IPPROTO_SCTP]: 'sctp' };

export class ControlModel {
  private table: VirtualServerTable = emptyTable();
  private nextServiceId = 1;
  private nextDestId = 1;
  /** "service key|af|addr|port" → id of a deleted dest, reused when it comes back (the kernel's trash). */
  private readonly trash = new Map<string, number>();
  private readonly listeners: ChangeListener[] = [];
  /** -Z zero points, keyed 's<id>' / 'd<id>'. */
  private readonly zeroPoints = new Map<string, StatsCounters>();
  readonly rates = new RateEstimator();
  readonly names: NameResolver;
  private readonly program: string;
  private batching = 0;
  private dirty = false;

  constructor(opts: ControlModelOptions = {}) {
    this.names = opts.names ?? new SystemResolver();
    this.program = opts.program ?? 'ipvsadm';
  }

  /** A deep copy of the current table. */
  snapshot(): VirtualServerTable {
    return cloneTable(this.table);
  }

  /** The live table (read-only by convention; use execute() to change it). */
  get current(): Readonly<VirtualServerTable> {
    return this.table;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Firewall-mark rules (iptables mangle) the datapath classifies with. */
  setMarks(marks: MarkRule[]): void {
    this.table.marks = marks.map(cloneMark);
    this.changed();
  }

  private changed(): void {
    if (this.batching) {
      this.dirty = true;
      return;
    }
    if (this.listeners.length === 0) return;
    const snap = this.snapshot();
    for (const l of [...this.listeners]) l(snap);
  }

  /** Run several commands and notify listeners once at the end. */
  batch<T>(fn: () => T): T {
    this.batching++;
    try {
      return fn();
    } finally {
      this.batching--;
      if (!this.batching && this.dirty) {
        this.dirty = false;
        this.changed();
      }
    }
  }

  /**
   * One ipvsadm invocation. `argv` are the arguments after the program name (a leading word
   * `ipvsadm` is dropped); `stdin` is read only by -R.
   */
  execute(argv: readonly string[], stdin: string, stats: StatsSource): CommandResult {
    const args = argv[0] === 'ipvsadm' || argv[0]?.endsWith('/ipvsadm') ? argv.slice(1) : [...argv];
    const out = { stdout: '', stderr: '', code: 0 };
    try {
      if (args.length === 0) {
        out.stdout += listAll(this.table.services, 0, this.listingSource(stats));
        return out;
      }
      out.code = this.batch(() => this.processOptions([this.program, ...args], false, stdin, stats, out));
    } catch (e) {
      if (!(e instanceof IpvsadmExit)) throw e;
      out.stdout += e.stdout;
      out.stderr += e.stderr;
      out.code = e.code;
    }
    return out;
  }

  /** process_options(): returns the exit status, or throws IpvsadmExit. */
  private processOptions(argv: string[], readingStdin: boolean, stdin: string, stats: StatsSource, out: { stdout: string; stderr: string }): number {
    const ce = parseCommand(argv, this.names);
    switch (ce.cmd) {
      case Cmd.LIST:
        out.stdout += this.list(ce, stats);
        return 0;
      case Cmd.RESTORE:
        if (readingStdin) tryHelp(argv[0]!);
        return this.restore(stdin, stats, out);
      case Cmd.SAVE:
        out.stdout += listAll(this.table.services, ce.format | FMT.RULE, this.listingSource(stats));
        return 0;
      default:
        break;
    }
    try {
      this.apply(ce, stats);
      return 0;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      out.stderr += ipvsStrerror(ce.cmd, e.errno) + '\n';
      return 255;
    }
  }

  /** restore_table(): config_stream_read line by line. */
  private restore(stdin: string, stats: StatsSource, out: { stdout: string; stderr: string }): number {
    let result = 0;
    for (const words of restoreLines(stdin)) {
      if (words.length === 0) continue;
      // A parse failure (exit 2) ends the whole restore; earlier lines stay applied, as in ipvsadm.
      try {
        result = this.processOptions([this.program, ...words], true, '', stats, out);
      } catch (e) {
        if (e instanceof IpvsadmExit) throw new IpvsadmExit(e.stderr, e.code, e.stdout);
        throw e;
      }
    }
    return result;
  }

  private list(ce: ParsedCommand, stats: StatsSource): string {
    const src = this.listingSource(stats);
    if (ce.options.has(OPT.CONNECTION)) return listConnections(stats.connections(), ce.format, this.names);
    if (ce.options.has(OPT.SERVICE)) {
      const svc = this.findService(ce.svc);
      if (!svc) throw new IpvsadmExit(ipvsStrerror(Cmd.LIST, 'ESRCH') + '\n', 1);
      return titleLines(ce.format) + serviceEntry(svc, ce.format, src);
    }
    if (ce.options.has(OPT.TIMEOUT)) return listTimeout(this.table.timeouts);
    // No sync daemon exists in uvs: ipvsadm prints nothing when none runs.
    if (ce.options.has(OPT.DAEMON)) return '';
    return listAll(this.table.services, ce.format, src);
  }

  listingSource(stats: StatsSource): ListingSource {
    const sub = (a: StatsCounters, z: StatsCounters | undefined): StatsCounters =>
      z
        ? { conns: a.conns - z.conns, inPkts: a.inPkts - z.inPkts, outPkts: a.outPkts - z.outPkts, inBytes: a.inBytes - z.inBytes, outBytes: a.outBytes - z.outBytes }
        : a;
    return {
      names: this.names,
      serviceStats: (s) => sub(stats.serviceStats(s.id), this.zeroPoints.get(`s${s.id}`)),
      destCounters: (d): DestCounters => {
        const c = stats.destCounters(d.id);
        return { ...c, stats: sub(c.stats, this.zeroPoints.get(`d${d.id}`)) };
      },
      serviceRates: (s): Rates => this.rates.rates(`s${s.id}`),
      destRates: (d): Rates => this.rates.rates(`d${d.id}`),
    };
  }

  /** One estimator sample (call every RATE_TICK_MS). */
  tickRates(stats: StatsSource): void {
    const m = new Map<string, StatsCounters>();
    for (const s of this.table.services) {
      m.set(`s${s.id}`, stats.serviceStats(s.id));
      for (const d of s.dests) m.set(`d${d.id}`, stats.destCounters(d.id).stats);
    }
    this.rates.tick(m);
  }

  // ---- the kernel side (ip_vs_ctl.c) ----

  private sameService(s: ServiceConfig, a: SvcArgs): boolean {
    if (a.fwmark) return s.fwmark === a.fwmark && s.af === a.af;
    return !s.fwmark && s.af === a.af && s.protocol === PROTO_OF[a.protocol] && s.addr === a.addr && s.port === a.port;
  }

  private findService(a: SvcArgs): ServiceConfig | undefined {
    return this.table.services.find((s) => this.sameService(s, a));
  }

  private netmaskText(a: SvcArgs): string {
    if (a.af === 6) return String(a.netmask);
    const m = a.netmask >>> 0;
    return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}`;
  }

  private checkServiceArgs(a: SvcArgs): void {
    // The kernel looks the name up among its registered schedulers (ours: src/sched/registry.ts).
    if (getScheduler(a.sched) === null) throw new KernelError('ENOENT');
    if (a.pe && !KNOWN_PES.includes(a.pe)) throw new KernelError('ENOENT');
    if (a.af === 6 && (a.netmask < 1 || a.netmask > 128)) throw new KernelError('EINVAL');
  }

  /** ip_vs_new_dest(): the address must be unicast or local (inet_addr_type). */
  private checkDestAddr(af: number, addr: string): void {
    if (af === 4) {
      const a = inetAton(addr) ?? 0;
      const top = a >>> 24;
      if (top === 0 || a === 0xffffffff || (a >>> 28) === 0xe) throw new KernelError('EINVAL');
    } else {
      const w = inetPton6(addr) ?? [0];
      if (w.every((x) => x === 0) || (w[0]! >>> 8) === 0xff) throw new KernelError('EINVAL');
    }
  }

  private destCheck(d: DestArgs): void {
    if (d.lThreshold > d.uThreshold) throw new KernelError('ERANGE');
    if (d.tunType === 1 && d.tunPort === 0) throw new KernelError('EINVAL');
  }

  private fillDest(dc: DestConfig, d: DestArgs): void {
    dc.weight = d.weight;
    dc.uThreshold = d.uThreshold;
    dc.lThreshold = d.lThreshold;
    // Current kernels decide local delivery per packet; the dest keeps the method it was given
    // (a dest on 127.0.0.1 lists as Route, not Local).
    dc.fwd = FWD_NAMES[d.fwd]!;
    dc.tunType = TUN_NAMES[d.tunType] as DestConfig['tunType'];
    dc.tunPort = d.tunPort;
    dc.tunFlags = d.tunFlags === 2 ? 'remcsum' : d.tunFlags === 1 ? 'csum' : 'nocsum';
  }

  private apply(ce: ParsedCommand, stats: StatsSource): void {
    const t = this.table;
    switch (ce.cmd) {
      case Cmd.FLUSH:
        for (const svc of t.services) this.toTrash(svc, svc.dests);
        t.services = [];
        break;
      case Cmd.ADD: {
        if (this.findService(ce.svc)) throw new KernelError('EEXIST');
        this.checkServiceArgs(ce.svc);
        const a = ce.svc;
        const svc: ServiceConfig = {
          id: this.nextServiceId++,
          af: a.af === 6 ? 6 : 4,
          protocol: PROTO_OF[a.protocol] ?? 'tcp',
          addr: a.fwmark ? '' : a.addr,
          port: a.fwmark ? 0 : a.port,
          fwmark: a.fwmark,
          sched: a.sched,
          flags: a.flags,
          timeoutS: a.timeout,
          netmask: this.netmaskText(a),
          pe: a.pe,
          dests: [],
        };
        t.services.push(svc);
        break;
      }
      case Cmd.EDIT: {
        const svc = this.findService(ce.svc);
        if (!svc) throw new KernelError('ESRCH');
        this.checkServiceArgs(ce.svc);
        svc.sched = ce.svc.sched;
        svc.flags = ce.svc.flags;
        svc.timeoutS = ce.svc.timeout;
        svc.netmask = this.netmaskText(ce.svc);
        svc.pe = ce.svc.pe;
        break;
      }
      case Cmd.DEL: {
        const svc = this.findService(ce.svc);
        if (!svc) throw new KernelError('ESRCH');
        this.toTrash(svc, svc.dests);
        t.services.splice(t.services.indexOf(svc), 1);
        break;
      }
      case Cmd.ZERO: {
        const all = !ce.svc.fwmark && !ce.svc.addr;
        const list = all ? t.services : [this.findService(ce.svc)];
        if (list[0] === undefined && !all) throw new KernelError('ESRCH');
        for (const s of list as ServiceConfig[]) {
          const cur = stats.serviceStats(s.id);
          this.zeroPoints.set(`s${s.id}`, cur);
          this.rates.zero(`s${s.id}`, cur);
          for (const d of s.dests) {
            const dc = stats.destCounters(d.id).stats;
            this.zeroPoints.set(`d${d.id}`, dc);
            this.rates.zero(`d${d.id}`, dc);
          }
        }
        return; // counters only: the table is unchanged
      }
      case Cmd.ADDDEST:
      case Cmd.EDITDEST:
      case Cmd.DELDEST: {
        const svc = this.findService(ce.svc);
        if (!svc) throw new KernelError('ESRCH');
        const d = ce.dest;
        if (d.af !== svc.af && ce.cmd !== Cmd.DELDEST && d.fwd !== FWD_TUNNEL) throw new KernelError('EINVAL');
        const idx = svc.dests.findIndex((x) => x.af === d.af && x.addr === d.addr && x.port === d.port);
        if (ce.cmd === Cmd.DELDEST) {
          if (idx < 0) throw new KernelError('ENOENT');
          const gone = svc.dests.splice(idx, 1);
          this.toTrash(svc, gone);
          break;
        }
        this.destCheck(d);
        if (ce.cmd === Cmd.EDITDEST) {
          if (idx < 0) throw new KernelError('ENOENT');
          this.fillDest(svc.dests[idx]!, d);
          break;
        }
        if (idx >= 0) throw new KernelError('EEXIST');
        const key = trashKey(svc, d.af, d.addr, d.port);
        const reused = this.trash.get(key);
        if (reused === undefined) this.checkDestAddr(d.af, d.addr);
        const dc: DestConfig = {
          id: reused ?? this.nextDestId++,
          af: d.af === 6 ? 6 : 4,
          addr: d.addr,
          port: d.port,
          weight: 1,
          fwd: 'Route',
          uThreshold: 0,
          lThreshold: 0,
          tunType: 'ipip',
          tunPort: 0,
          tunFlags: 'nocsum',
        };
        this.trash.delete(key);
        this.fillDest(dc, d);
        svc.dests.unshift(dc); // newest first, as list_add_rcu() at the head
        break;
      }
      case Cmd.TIMEOUT: {
        const [tcp, fin, udp] = ce.timeouts;
        // ip_vs_set_timeout(): a zero leaves that timeout unchanged.
        if (!tcp && !fin && !udp) return;
        if (tcp) t.timeouts.tcpS = tcp;
        if (fin) t.timeouts.tcpFinS = fin;
        if (udp) t.timeouts.udpS = udp;
        break;
      }
      case Cmd.STARTDAEMON:
        // DIFF: uvs has no connection sync daemon; starting one is refused.
        throw new KernelError('ENOPROTOOPT');
      case Cmd.STOPDAEMON:
        throw new KernelError('ESRCH');
      default:
        return;
    }
    this.changed();
  }

  private toTrash(svc: ServiceConfig, dests: DestConfig[]): void {
    for (const d of dests) {
      if (this.trash.size >= TRASH_MAX) this.trash.delete(this.trash.keys().next().value!);
      this.trash.set(trashKey(svc, d.af, d.addr, d.port), d.id);
    }
  }

  // ---- typed entry points for keepalived and the health checkers (same validation) ----

  /** Runs a ParsedCommand built in code; returns null on success or ipvsadm's error text. */
  private run(ce: ParsedCommand, stats: StatsSource): string | null {
    try {
      this.apply(ce, stats);
      return null;
    } catch (e) {
      if (e instanceof KernelError) return ipvsStrerror(ce.cmd, e.errno);
      throw e;
    }
  }

  private svcArgsOf(s: Pick<ServiceConfig, 'af' | 'protocol' | 'addr' | 'port' | 'fwmark'>): SvcArgs {
    const a = newSvcArgs();
    a.af = s.af;
    a.protocol = s.fwmark ? 6 : s.protocol === 'udp' ? IPPROTO_UDP : s.protocol === 'sctp' ? IPPROTO_SCTP : 6;
    a.addr = s.fwmark ? '' : s.addr;
    a.port = s.fwmark ? 0 : s.port;
    a.fwmark = s.fwmark;
    a.netmask = s.af === 6 ? 128 : 0xffffffff;
    return a;
  }

  private destArgsOf(d: Omit<DestConfig, 'id'>): DestArgs {
    const a = newDestArgs();
    a.af = d.af;
    a.addr = d.addr;
    a.port = d.port;
    a.fwd = d.fwd === 'Masq' ? 0 : d.fwd === 'Tunnel' ? 2 : 3;
    a.weight = d.weight;
    a.uThreshold = d.uThreshold;
    a.lThreshold = d.lThreshold;
    a.tunType = Math.max(0, TUN_NAMES.indexOf(d.tunType));
    a.tunPort = d.tunPort;
    a.tunFlags = d.tunFlags === 'remcsum' ? 2 : d.tunFlags === 'csum' ? 1 : 0;
    return a;
  }

  private parsed(cmd: Cmd, svc: SvcArgs, dest: DestArgs): ParsedCommand {
    return { cmd, svc, dest, options: new Set(), format: 0, timeouts: [0, 0, 0], daemonState: '', argv: [] };
  }

  /** -A (or -E when `edit`) from a ServiceConfig (its id and dests are ignored). */
  addService(s: Omit<ServiceConfig, 'id' | 'dests'>, stats: StatsSource, edit = false): string | null {
    const a = this.svcArgsOf(s);
    a.sched = s.sched;
    a.flags = s.flags;
    a.timeout = s.flags & SVC_F_PERSISTENT ? s.timeoutS : 0;
    a.pe = s.pe;
    a.netmask = s.af === 6 ? Number(s.netmask) : (inetAton(s.netmask) ?? 0xffffffff);
    return this.run(this.parsed(edit ? Cmd.EDIT : Cmd.ADD, a, newDestArgs()), stats);
  }

  deleteService(s: Pick<ServiceConfig, 'af' | 'protocol' | 'addr' | 'port' | 'fwmark'>, stats: StatsSource): string | null {
    return this.run(this.parsed(Cmd.DEL, this.svcArgsOf(s), newDestArgs()), stats);
  }

  /**
   * -a / -e / -d of one dest, as keepalived sends it to the kernel: the port is taken as given
   * (ipvsadm's client-side "DR/TUN port = service port" rule is not applied here).
   */
  changeDest(op: 'add' | 'edit' | 'delete', s: Pick<ServiceConfig, 'af' | 'protocol' | 'addr' | 'port' | 'fwmark'>, d: Omit<DestConfig, 'id'>, stats: StatsSource): string | null {
    const a = this.svcArgsOf(s);
    const da = this.destArgsOf(d);
    const cmd = op === 'add' ? Cmd.ADDDEST : op === 'edit' ? Cmd.EDITDEST : Cmd.DELDEST;
    return this.run(this.parsed(cmd, a, da), stats);
  }

  /** The dest as stored, or undefined. */
  findDest(s: Pick<ServiceConfig, 'af' | 'protocol' | 'addr' | 'port' | 'fwmark'>, af: number, addr: string, port: number): DestConfig | undefined {
    return this.findService(this.svcArgsOf(s))?.dests.find((x) => x.af === af && x.addr === addr && x.port === port);
  }
}

function cloneMark(m: MarkRule): MarkRule {
  return { ...m, srcPorts: m.srcPorts.map(([a, b]) => [a, b]), dstPorts: m.dstPorts.map(([a, b]) => [a, b]) };
}

/** A deep copy of a table (all plain data; ~10x cheaper than structuredClone). */
export function cloneTable(t: VirtualServerTable): VirtualServerTable {
  return {
    services: t.services.map((s) => ({ ...s, dests: s.dests.map((d) => ({ ...d })) })),
    timeouts: { ...t.timeouts },
    marks: t.marks.map(cloneMark),
  };
}

/** Bound on remembered deleted dests (the kernel frees idle trash after 120-180 s). */
const TRASH_MAX = 65536;

function trashKey(svc: ServiceConfig, af: number, addr: string, port: number): string {
  return `${svc.fwmark ? `f${svc.fwmark}/${svc.af}` : `${svc.protocol}/${svc.af}/${svc.addr}/${svc.port}`}|${af}|${addr}|${port}`;
}

/**
 * ipvsadm -R input → argument words per line: split on blanks/tabs/CR, every word `ipvsadm`
 * dropped (config_stream_read). DIFF: everything from a word starting with '#' to the end of
 * the line is a comment (the intent of config_stream.c, which its code misses, and what the
 * ipvsadm-restore script does for whole lines).
 */
export function restoreLines(text: string): string[][] {
  const lines: string[][] = [];
  for (const raw of text.split('\n')) {
    const words: string[] = [];
    for (const w of raw.split(/[ \t\r]+/)) {
      if (!w) continue;
      if (w.startsWith('#')) break;
      if (w !== 'ipvsadm') words.push(w);
    }
    lines.push(words);
  }
  return lines;
}

/** A StatsSource with no traffic: every counter zero, no connections. */
export const NO_STATS: StatsSource = {
  serviceStats: () => zeroStats(),
  destCounters: () => ({ activeConns: 0, inactConns: 0, persistConns: 0, overloaded: false, stats: zeroStats() }),
  connections: () => [],
};
