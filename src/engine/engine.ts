// The per-frame pipeline of the director (spec §4.2, the kernel's ip_vs_in()/ip_vs_out() and
// ip_vs_in_icmp()/ip_vs_out_icmp()), one engine per worker:
//
//   parse → ARP for a VIP? answer it → ICMP error about a conn? rewrite/forward it (§5.6)
//   → marks → NAT reply of a known conn? SNAT it back to the client (handle_response)
//   → "in" lookup → SYN on a finished conn? reschedule (conn_reuse_mode, expire_nodest_conn)
//   → dest deleted? drop or expire → no conn: classify the service, schedule (persistent or not),
//     no dest → ICMP port unreachable → in-stats, TCP/UDP state transition → transmit (DR, TUN,
//     NAT) → restart the conn timer (ONE_PACKET conns are freed at once).
//
// Driving it (what `uvs run` and `uvs replay` do): once per batch set clock.nowMs, call
// resetExtra() and tick(); for each frame set d.buf/d.off/d.len/d.port and call processFrame(d):
// VERDICT_TX / VERDICT_ARP → send d.buf[d.off, d.off+d.len) on decision.txPort; VERDICT_DROP →
// decision.reason (ENGINE_DROP_NAMES) was counted; VERDICT_PASS → not ours, leave it to the host;
// VERDICT_HELD → the next hop has no MAC yet and the holder (options.holder) kept a copy: when
// the holder gives it back, call xmitHeld(d, connTag, destTag), which sends it for the conn it was
// scheduled to without counting it or moving the conn's state a second time.
// After the batch also send the extraCount frames in extraBuf (ICMP errors) on extraPort[k].
// Next hops: without routes (replay, tests) a dest's next hop is its own address, on port 0 (NAT:
// natPort); with setRoutes() each dest gets its route's gateway and port, computed when the table
// or the routes change (next-hop.ts), and a dest without a route drops its frames as `no_route`.
// Ports: each has its own source MAC and MTU (options portMacs/portMtus, port-links.ts): a frame
// is built, checked and fragmented for the port it leaves by; ICMP errors the engine makes and ARP
// replies leave by the port the frame came in on, NAT replies and errors relayed to clients by port 0.
// Configuration: applyTable(table) between batches. Counters: stats.buffers (SharedArrayBuffers)
// and conns.destConns for another thread; serviceStats()/destCounters()/connections() here.
//
// Nothing here allocates per frame: the PacketDesc, the decision record, the counters and the
// small output buffer for ICMP errors are all preallocated and overwritten. The decision record
// holds numbers only; `uvs replay` and `uvs trace` turn it into JSON.

import { Conns } from '../conn/conns.js';
import { DIR_INPUT, DIR_OUTPUT, TCP_S_CLOSE, TCP_S_FIN_WAIT, TCP_S_TIME_WAIT } from '../conn/tcp-state.js';
import {
  CONN_F_FWD_MASK, CONN_F_LOCALNODE, CONN_F_MASQ, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_TUNNEL,
  DEST_F_AVAILABLE, IPPROTO_ICMP, IPPROTO_IPIP, IPPROTO_TCP, IPPROTO_UDP, SVC_F_ONEPACKET, SVC_F_PERSISTENT,
} from '../model/constants.js';
import { arpReplyInPlace } from '../packet/arp.js';
import { DROP_COUNT, DROP_FIRST, DROP_FRAG_NEEDED, DROP_NAMES, DROP_NO_ROOM, DROP_TTL_EXPIRED, PARSE_ARP, PARSE_OK_IPV4, PARSE_OTHER } from '../packet/drop.js';
import {
  ICMP_DEST_UNREACH, ICMP_EMBEDDED_OK, ICMP_EXC_TTL, ICMP_FRAG_NEEDED, ICMP_NOT_ERROR, ICMP_PORT_UNREACH,
  ICMP_TIME_EXCEEDED, IcmpEmbedded, parseIcmpError,
} from '../packet/icmp.js';
import { PacketDesc } from '../packet/packet-desc.js';
import { parseFrame } from '../packet/parse.js';
import { xmitRoute } from '../xmit/dr.js';
import { fragmentFrame } from '../xmit/fragment.js';
import { buildIcmpError, icmpNatIn, icmpNatOut, writeIcmpError } from '../xmit/icmp-error.js';
import { xmitNatIn, xmitNatOut } from '../xmit/nat.js';
import { tunnelMtu, xmitTunnel } from '../xmit/tun.js';
import type { VirtualServerTable } from '../model/config.js';
import { formatIPv4 } from '../model/ipv4.js';
import type { ConnSnapshot, DestCounters, StatsCounters, StatsSource } from '../model/snapshot.js';
import { AppliedModel, applyTable, gcTrash } from './apply-table.js';
import { ServiceIndex } from './classify.js';
import { Clock } from './clock.js';
import type { Dest } from './dest.js';
import { MarkClassifier } from './marks.js';
import type { NeighbourResolver } from './neighbour.js';
import { PERSIST_NO_DEST, PERSIST_TABLE_FULL, schedPersist, TEMPLATE_NULL } from './persistence.js';
import type { Service } from './service.js';
import { nextHopFor, noRouteReason, type FrameHolder, type Route } from './next-hop.js';
import { PortLinks } from './port-links.js';
import { StaticNeighbours } from './static-neighbours.js';
import { EngineStats, STAT_CONNS, STAT_FIELDS, STAT_INBYTES, STAT_INPKTS, STAT_OUTBYTES, STAT_OUTPKTS } from './stats.js';

export const VERDICT_TX = 0;
export const VERDICT_DROP = 1;
export const VERDICT_PASS = 2;
export const VERDICT_ARP = 3;
/** The next hop is unresolved and the holder kept the frame (it comes back through xmitHeld()). */
export const VERDICT_HELD = 4;
export const VERDICT_NAMES: readonly string[] = ['tx', 'drop', 'pass', 'arp', 'held'];

// Engine drop reasons continue the packet layer's codes.
/** No dest available: ICMP port unreachable sent (§4.7). */
export const DROP_NO_DEST = DROP_COUNT;
/** Connection table full: new conn refused. */
export const DROP_CONN_TABLE_FULL = DROP_COUNT + 1;
/** The conn's dest was deleted and expire_nodest_conn is 0 (§4.9). */
export const DROP_DEST_UNAVAILABLE = DROP_COUNT + 2;
/** A non-persistent port-0 service cannot schedule (§3.2): ICMP port unreachable sent. */
export const DROP_PORT_ZERO = DROP_COUNT + 3;
/** The next hop's MAC is not resolved yet and the frame could not be held (no holder, pool full). */
export const DROP_NO_NEIGH = DROP_COUNT + 4;
/** The dest has no route (setRoutes()): the kernel's "No route to ..." in the transmitters. */
export const DROP_NO_ROUTE = DROP_COUNT + 5;
/** A held frame came back after its conn expired (or was replaced). */
export const DROP_HELD_CONN_GONE = DROP_COUNT + 6;
/** A held frame came back after its dest was removed. */
export const DROP_HELD_DEST_GONE = DROP_COUNT + 7;
/** A held frame was dropped because ARP for its next hop got no answer (countNeighFailed()). */
export const DROP_NEIGH_FAILED = DROP_COUNT + 8;
export const ENGINE_DROP_COUNT = DROP_COUNT + 9;
export const ENGINE_DROP_NAMES: readonly string[] = [
  ...DROP_NAMES, 'no_dest', 'conn_table_full', 'dest_unavailable', 'port_zero', 'no_neigh',
  'no_route', 'held_conn_gone', 'held_dest_gone', 'neigh_failed',
];

export const CONN_NONE = 0;
export const CONN_NEW = 1;
export const CONN_HIT = 2;

/** What happened to the last frame, in numbers (JSON only in replay/trace). */
export class Decision {
  verdict: number;
  svcSlot: number;
  destSlot: number;
  /** CONN_F_FWD_MASK bits of the conn, -1 when none. */
  fwd: number;
  conn: number;
  template: number;
  /** Drop code, -1 unless dropped. */
  reason: number;
  /** Output port for TX/ARP: 0 outside, 1 inside. */
  txPort: number;
  /** Conn slot used, -1 when none. */
  connSlot: number;

  constructor() {
    this.verdict = VERDICT_PASS;
    this.svcSlot = -1;
    this.destSlot = -1;
    this.fwd = -1;
    this.conn = CONN_NONE;
    this.template = TEMPLATE_NULL;
    this.reason = -1;
    this.txPort = 0;
    this.connSlot = -1;
  }

  reset(): void {
    this.verdict = VERDICT_PASS;
    this.svcSlot = -1;
    this.destSlot = -1;
    this.fwd = -1;
    this.conn = CONN_NONE;
    this.template = TEMPLATE_NULL;
    this.reason = -1;
    this.txPort = 0;
    this.connSlot = -1;
  }
}

export interface EngineOptions {
  /** Connection table capacity (--max-conns). */
  maxConns?: number;
  maxServices?: number;
  maxDests?: number;
  /** The director's MAC (source of every frame it sends on a port not in portMacs). */
  mac?: Uint8Array;
  /** Source MAC by port, 6 bytes each (port p at p*6): a frame takes the MAC of the port it leaves by. */
  portMacs?: Uint8Array;
  /** The director's IPv4 address: TUN outer source and ICMP error source. */
  addr?: number;
  neighbours?: NeighbourResolver;
  clock?: Clock;
  /** Conn hash seed (inject for deterministic tests). */
  seed?: number;
  /** Seed of the services' random source (twos). */
  randomSeed?: number;
  /** Egress IP MTU of a port not in portMtus. */
  mtu?: number;
  /** Egress IP MTU by port: checks, fragmentation and Fragmentation Needed use the outgoing port's. */
  portMtus?: ArrayLike<number>;
  /** Port that reaches NAT real servers (1 with an inside interface, else 0). */
  natPort?: number;
  /** Interface names by port, for `-i` in mark rules. */
  ifaceNames?: string[];
  /** Walk the timer wheel slot holding `now` on every tick (replay, tests). */
  exactTimers?: boolean;
  connReuseMode?: number;
  expireNodestConn?: boolean;
  expireQuiescentTemplate?: boolean;
  sloppyTcp?: boolean;
  /** Bytes of the buffer that collects frames the engine emits itself (ICMP errors). */
  extraBytes?: number;
  /** Keeps frames whose next hop is unresolved (uvs run's neighbour cache); none: they drop as no_neigh. */
  holder?: FrameHolder;
  /** The director's routes (see setRoutes()); none: every dest is its own next hop. */
  routes?: Route[] | null;
}

/** Per dest slot: the next hop is known / there is no route. */
const NH_OK = 0;
const NH_NO_ROUTE = 1;

export interface ResolvedOptions {
  maxConns: number;
  maxServices: number;
  maxDests: number;
  addr: number;
  natPort: number;
  ifaceNames: string[];
  connReuseMode: number;
  expireNodestConn: boolean;
  expireQuiescentTemplate: boolean;
  sloppyTcp: boolean;
}

/** A deterministic xorshift32 for Service.randomU32. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

export class Engine implements StatsSource {
  readonly opts: ResolvedOptions;
  readonly model: AppliedModel;
  /** Source MAC (6 bytes each, port p at p*6) and IP MTU by port (port-links.ts). */
  private readonly portMacs: Uint8Array;
  private readonly portMtus: Int32Array;
  /** The director's address as int32 (never boxed). */
  readonly addr: number;
  readonly clock: Clock;
  readonly conns: Conns;
  readonly stats: EngineStats;
  readonly decision: Decision;
  readonly neighbours: NeighbourResolver;
  readonly randomU32: () => number;
  /** Services by slot. */
  readonly services: Array<Service | null>;
  readonly index: ServiceIndex;
  marks: MarkClassifier;
  /** VIPs answered by ARP: open-addressing set. */
  /** int32 addresses (see ConnTable). */
  private vipKeys: Int32Array;
  private vipMask: number;
  /** Number of MASQ dests: when 0 the reply ("out") lookup is skipped. */
  natDests: number;
  /** Labels for decisions, by slot (control path strings). */
  readonly serviceLabels: string[];
  readonly destLabels: string[];
  /** Frames the engine emits itself (ICMP errors): offsets/lengths/ports into extraBuf. */
  readonly extraBuf: Uint8Array;
  readonly extraOff: Uint32Array;
  readonly extraLen: Uint32Array;
  readonly extraPort: Uint8Array;
  extraCount: number;
  private extraUsed: number;
  private readonly icmpE: IcmpEmbedded;
  private readonly fragLens: Uint32Array;
  /** Scratch descriptor for callers that want one. */
  readonly desc: PacketDesc;
  readonly holder: FrameHolder | null;
  /** The director's routes; null: each dest is its own next hop (port 0, NAT natPort). */
  private routes: Route[] | null;
  /** Per dest slot, from the routes: next-hop address (int32), port, NH_* state, and the dest id it was computed for. */
  private readonly nhAddr: Int32Array;
  private readonly nhPort: Uint8Array;
  private readonly nhState: Uint8Array;
  private readonly nhDestId: Float64Array;
  /** Warnings from the last next-hop update ("dest ...: no route"), for the caller to log once. */
  routeWarnings: string[];
  /** Output of hop(): the address to resolve (int32) and the port. */
  private hopAddr: number;
  private hopPort: number;

  constructor(o: EngineOptions = {}) {
    const links = new PortLinks(o);
    this.portMacs = links.macs;
    this.portMtus = links.mtus;
    this.opts = {
      maxConns: o.maxConns ?? 1 << 20,
      maxServices: o.maxServices ?? 1024,
      maxDests: o.maxDests ?? 8192,
      addr: (o.addr ?? 0) >>> 0,
      natPort: o.natPort ?? 0,
      ifaceNames: o.ifaceNames ?? [],
      connReuseMode: o.connReuseMode ?? 1,
      expireNodestConn: o.expireNodestConn ?? false,
      expireQuiescentTemplate: o.expireQuiescentTemplate ?? false,
      sloppyTcp: o.sloppyTcp ?? false,
    };
    this.clock = o.clock ?? new Clock(0);
    this.conns = new Conns(this.opts.maxConns, this.opts.maxDests, this.clock, { seed: o.seed, exactTimers: o.exactTimers });
    this.stats = new EngineStats(this.opts.maxServices, this.opts.maxDests, ENGINE_DROP_COUNT, VERDICT_NAMES.length);
    this.decision = new Decision();
    this.neighbours = o.neighbours ?? new StaticNeighbours();
    this.randomU32 = xorshift(o.randomSeed ?? 1);
    this.services = new Array<Service | null>(this.opts.maxServices).fill(null);
    this.index = new ServiceIndex();
    this.marks = new MarkClassifier();
    this.vipKeys = new Int32Array(16);
    this.vipMask = 15;
    this.natDests = 0;
    this.serviceLabels = new Array<string>(this.opts.maxServices).fill('');
    this.destLabels = new Array<string>(this.opts.maxDests).fill('');
    this.extraBuf = new Uint8Array(o.extraBytes ?? 128 * 1024);
    this.fragLens = new Uint32Array(64);
    this.extraOff = new Uint32Array(64);
    this.extraLen = new Uint32Array(64);
    this.extraPort = new Uint8Array(64);
    this.extraCount = 0;
    this.extraUsed = 0;
    this.icmpE = new IcmpEmbedded();
    this.desc = new PacketDesc();
    this.model = new AppliedModel(this.opts.maxServices, this.opts.maxDests);
    this.addr = this.opts.addr | 0;
    this.holder = o.holder ?? null;
    this.routes = o.routes ?? null;
    this.nhAddr = new Int32Array(this.opts.maxDests);
    this.nhPort = new Uint8Array(this.opts.maxDests);
    this.nhState = new Uint8Array(this.opts.maxDests);
    this.nhDestId = new Float64Array(this.opts.maxDests).fill(-1);
    this.routeWarnings = [];
    this.hopAddr = 0;
    this.hopPort = 0;
  }

  /** Apply a whole table as a difference; returns error texts (then nothing changed). */
  applyTable(table: VirtualServerTable): string[] {
    const errors = applyTable(this, table);
    if (errors.length === 0) this.updateNextHops();
    return errors;
  }

  /**
   * New routes (null: every dest is its own next hop again); recomputes each dest's next hop.
   * Control path, between batches.
   */
  setRoutes(routes: Route[] | null): void {
    this.routes = routes;
    this.updateNextHops();
  }

  /**
   * Each dest's next hop from the routes (longest prefix match, next-hop.ts). A dest that has no
   * route now but had one (or is new) adds one line to routeWarnings; Local dests need none.
   */
  private updateNextHops(): void {
    const routes = this.routes;
    const dests = this.conns.dests;
    for (let slot = 0; slot < dests.length; slot++) {
      const d = dests[slot];
      if (!d) { this.nhDestId[slot] = -1; continue; }
      if (routes === null) { this.nhState[slot] = NH_OK; this.nhDestId[slot] = d.id; continue; }
      const before = this.nhDestId[slot] === d.id ? this.nhState[slot]! : NH_OK;
      this.nhDestId[slot] = d.id;
      const nh = nextHopFor(routes, d.addr);
      if (nh !== null) {
        this.nhAddr[slot] = nh.addr | 0;
        this.nhPort[slot] = nh.port;
        this.nhState[slot] = NH_OK;
      } else {
        this.nhState[slot] = NH_NO_ROUTE;
        if (before !== NH_NO_ROUTE && (d.fwd & CONN_F_FWD_MASK) !== CONN_F_LOCALNODE && (d.flags & DEST_F_AVAILABLE) !== 0) {
          this.routeWarnings.push(`dest ${formatIPv4(d.addr)}:${d.port}: ${noRouteReason(routes, d.addr)}; its frames are dropped (no_route) until a route appears`);
        }
      }
    }
  }

  /** Hands over (and forgets) the warnings of the last next-hop updates. */
  takeRouteWarnings(): string[] {
    const w = this.routeWarnings;
    this.routeWarnings = [];
    return w;
  }

  /** The next hop for dest slot ds (address rip, method fwd) into hopAddr/hopPort; false: no route. */
  private hop(ds: number, rip: number, fwd: number): boolean {
    if (this.routes === null || ds < 0) {
      this.hopAddr = rip | 0;
      this.hopPort = fwd === CONN_F_MASQ ? this.opts.natPort : 0;
      return true;
    }
    if (this.nhState[ds] !== NH_OK) return false;
    this.hopAddr = this.nhAddr[ds]!;
    this.hopPort = this.nhPort[ds]!;
    return true;
  }

  /** A frame held for an unresolved next hop was dropped by the holder (its ARP got no answer). */
  countNeighFailed(): void {
    this.stats.drops[DROP_NEIGH_FAILED]!++;
  }

  // ---------------------------------------------------------------- StatsSource

  private statsAt(base: number): StatsCounters {
    const s = this.stats.stats;
    return {
      conns: s[base + STAT_CONNS]!, inPkts: s[base + STAT_INPKTS]!, outPkts: s[base + STAT_OUTPKTS]!,
      inBytes: s[base + STAT_INBYTES]!, outBytes: s[base + STAT_OUTBYTES]!,
    };
  }

  serviceStats(serviceId: number): StatsCounters {
    const svc = this.model.serviceById.get(serviceId);
    if (!svc) return { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
    return this.statsAt(svc.slot * STAT_FIELDS);
  }

  totalStats(): StatsCounters {
    return this.statsAt(this.stats.totalBase);
  }

  destCounters(destId: number): DestCounters {
    const d = this.model.destById.get(destId);
    if (!d || d.slot < 0) return { activeConns: 0, inactConns: 0, persistConns: 0, overloaded: false, stats: { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 } };
    return {
      activeConns: d.activeConns, inactConns: d.inactConns, persistConns: d.persistConns,
      overloaded: (d.flags & 2) !== 0,
      stats: this.statsAt(this.stats.destBase + d.slot * STAT_FIELDS),
    };
  }

  connections(): ConnSnapshot[] {
    return this.conns.snapshot();
  }

  // ---------------------------------------------------------------- control path

  /** Rebuild the lookup structures after services changed (called by applyTable). */
  reindex(): void {
    this.index.rebuild(this.services);
    const vips: number[] = [];
    let nat = 0;
    for (const s of this.services) {
      if (!s) continue;
      if (!s.fwmark && !vips.includes(s.addr)) vips.push(s.addr);
      for (const d of s.dests) if ((d.fwd & CONN_F_FWD_MASK) === CONN_F_MASQ) nat++;
    }
    // Trashed MASQ dests keep their conns' replies flowing.
    for (const d of this.conns.dests) if (d && (d.flags & DEST_F_AVAILABLE) === 0 && (d.fwd & CONN_F_FWD_MASK) === CONN_F_MASQ) nat++;
    this.natDests = nat;
    let size = 16;
    while (size < vips.length * 2) size *= 2;
    this.vipKeys = new Int32Array(size);
    this.vipMask = size - 1;
    for (const v of vips) {
      let b = (Math.imul(v, 0x9e3779b1) >>> 16) & this.vipMask;
      while (this.vipKeys[b] !== 0) b = (b + 1) & this.vipMask;
      this.vipKeys[b] = v | 0;
    }
  }

  isVip(addr: number): boolean {
    addr |= 0;
    if (addr === 0) return false;
    let b = (Math.imul(addr, 0x9e3779b1) >>> 16) & this.vipMask;
    for (let k = 0; k <= this.vipMask; k++) {
      const v = this.vipKeys[b]!;
      if (v === 0) return false;
      if (v === addr) return true;
      b = (b + 1) & this.vipMask;
    }
    return false;
  }

  /** Expire conns whose time has come (call once per batch, after advancing the clock). */
  tick(): number {
    const n = this.conns.tick();
    if (this.model.trash.length !== 0) gcTrash(this);
    return n;
  }

  /** Forget the frames emitted by the previous batch. */
  resetExtra(): void {
    this.extraCount = 0;
    this.extraUsed = 0;
  }

  // ---------------------------------------------------------------- counters

  /** ip_vs_conn_stats(): a new non-template conn for svc and the dest in destSlot. */
  countNewConn(svc: Service, destSlot: number): void {
    const s = this.stats.stats;
    s[svc.slot * STAT_FIELDS + STAT_CONNS]!++;
    s[this.stats.destBase + destSlot * STAT_FIELDS + STAT_CONNS]!++;
    s[this.stats.totalBase + STAT_CONNS]!++;
  }

  /** ip_vs_in_stats() / ip_vs_out_stats(): counted only while the dest is AVAILABLE, on the dest's current service. */
  private countPkt(destSlot: number, bytes: number, out: boolean): void {
    if (destSlot < 0) return;
    const d = this.conns.dests[destSlot];
    if (!d || (d.flags & DEST_F_AVAILABLE) === 0) return;
    const s = this.stats.stats;
    const p = out ? STAT_OUTPKTS : STAT_INPKTS;
    const b = out ? STAT_OUTBYTES : STAT_INBYTES;
    const db = this.stats.destBase + destSlot * STAT_FIELDS;
    s[db + p]!++;
    s[db + b]! += bytes;
    const svc = d.svc;
    if (svc && svc.slot >= 0) {
      const sb = svc.slot * STAT_FIELDS;
      s[sb + p]!++;
      s[sb + b]! += bytes;
    }
    const tb = this.stats.totalBase;
    s[tb + p]!++;
    s[tb + b]! += bytes;
  }

  // ---------------------------------------------------------------- verdicts

  private drop(reason: number): number {
    const dec = this.decision;
    dec.verdict = VERDICT_DROP;
    dec.reason = reason;
    this.stats.drops[reason]!++;
    this.stats.verdicts[VERDICT_DROP]!++;
    return VERDICT_DROP;
  }

  private held(): number {
    this.decision.verdict = VERDICT_HELD;
    this.stats.verdicts[VERDICT_HELD]!++;
    return VERDICT_HELD;
  }

  private pass(): number {
    this.decision.verdict = VERDICT_PASS;
    this.stats.verdicts[VERDICT_PASS]!++;
    return VERDICT_PASS;
  }

  private tx(port: number): number {
    this.decision.verdict = VERDICT_TX;
    this.decision.txPort = port;
    this.stats.verdicts[VERDICT_TX]!++;
    return VERDICT_TX;
  }

  /** Queue an ICMP error about d to its sender (icmp_send()); silently skipped when not allowed or no room. */
  private sendIcmp(d: PacketDesc, type: number, code: number, info: number): void {
    if (this.extraCount >= this.extraOff.length) return;
    const off = this.extraUsed;
    // icmp_send() sources the error from the packet's destination when it is local (the VIP),
    // else from the director's own address.
    const src = this.isVip(d.daddr) ? d.daddr | 0 : this.addr;
    // Back out of the port the frame came in by, with that port's MAC.
    const n = buildIcmpError(this.extraBuf, off, d, type, code, info, src,
      this.portMacs, d.port * 6, d.buf, d.off + 6);
    if (n <= 0) return;
    const k = this.extraCount++;
    this.extraOff[k] = off;
    this.extraLen[k] = n;
    this.extraPort[k] = d.port;
    this.extraUsed = off + n;
  }

  /**
   * The frame to send is longer than the MTU (no DF, so IPVS lets the stack fragment it,
   * ignore_df): the first fragment stays in d, the others go to the extra frames, in order.
   */
  private fragment(d: PacketDesc, port: number): number {
    const mtu = this.portMtus[port]!;
    const slot = mtu + 32;
    const room = this.extraOff.length - this.extraCount;
    const n = fragmentFrame(d, mtu, this.extraBuf, this.extraUsed, slot, room, this.fragLens);
    if (n < 0) return this.drop(-n);
    for (let k = 0; k < n; k++) {
      const i = this.extraCount++;
      this.extraOff[i] = this.extraUsed + k * slot;
      this.extraLen[i] = this.fragLens[k]!;
      this.extraPort[i] = port;
    }
    this.extraUsed += n * slot;
    return this.tx(port);
  }

  /** A transmitter refused the frame: TTL → Time Exceeded, DF too big → Fragmentation Needed. */
  private xmitFailed(d: PacketDesc, code: number, mtu: number): number {
    if (code === DROP_TTL_EXPIRED) this.sendIcmp(d, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
    else if (code === DROP_FRAG_NEEDED) this.sendIcmp(d, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu & 0xffff);
    return this.drop(code);
  }

  // ---------------------------------------------------------------- the pipeline

  /**
   * Process one frame: d.buf/d.off/d.len/d.port describe it on entry. Returns VERDICT_*; for
   * TX/ARP, d.off/d.len describe the frame to send and decision.txPort the port.
   */
  processFrame(d: PacketDesc): number {
    const dec = this.decision;
    dec.reset();
    const code = parseFrame(d, d.buf, d.off, d.len, d.port);
    if (code === PARSE_ARP) return this.arp(d);
    if (code === PARSE_OTHER) return this.pass();
    if (code >= DROP_FIRST) return this.drop(code);

    if (d.proto === IPPROTO_ICMP) return this.icmp(d);
    if (d.proto !== IPPROTO_TCP && d.proto !== IPPROTO_UDP) return this.pass();
    if (this.marks.count !== 0) d.fwmark = this.marks.evaluate(d);

    // ip_vs_out(): replies of NAT conns come back through us.
    if (this.natDests !== 0) {
      const cp = this.conns.findOut(d.proto, d.saddr | 0, d.sport, d.daddr | 0, d.dport);
      if (cp >= 0 && (this.conns.table.flagsOf(cp) & CONN_F_FWD_MASK) === CONN_F_MASQ) return this.natReply(d, cp);
    }
    return this.inbound(d);
  }

  private arp(d: PacketDesc): number {
    if (!this.isVip(d.daddr)) return this.pass();
    const n = arpReplyInPlace(d, this.portMacs, d.port * 6);
    if (n < 0) return this.pass();
    this.decision.verdict = VERDICT_ARP;
    this.decision.txPort = d.port;
    this.stats.verdicts[VERDICT_ARP]!++;
    return VERDICT_ARP;
  }

  /** ip_vs_in(). */
  private inbound(d: PacketDesc): number {
    const conns = this.conns;
    const t = conns.table;
    const dec = this.decision;
    let cp = conns.findIn(d.proto, d.saddr | 0, d.sport, d.daddr | 0, d.dport);

    // A SYN for a conn that is finishing: reschedule (is_new_conn() / is_new_conn_expected()).
    if (cp >= 0 && !d.isFragment && d.proto === IPPROTO_TCP && (d.tcpFlags & 0x02) !== 0 && t.control[cp]! < 0) {
      let resched = false;
      const ds = t.destOf(cp);
      const dest = ds >= 0 ? conns.dests[ds] : null;
      if (this.opts.expireNodestConn && dest && dest.weight === 0) resched = true;
      // DIFF: no netfilter conntrack, so a rescheduled conn never forces a drop (old_ct is false).
      else if (this.opts.connReuseMode !== 0 && this.newConnExpected(cp)) resched = true;
      if (resched) {
        if (t.nControl[cp] === 0) conns.expireNow(cp);
        cp = -1;
      }
    }
    // The dest was deleted (in trash).
    if (cp >= 0) {
      const ds = t.destOf(cp);
      const dest = ds >= 0 ? conns.dests[ds] : null;
      if (dest && (dest.flags & DEST_F_AVAILABLE) === 0) {
        if (this.opts.expireNodestConn) {
          conns.expireNow(cp);
          cp = -1;
        } else {
          dec.destSlot = ds;
          dec.svcSlot = dest.svc ? dest.svc.slot : -1;
          dec.conn = CONN_HIT;
          dec.fwd = t.flagsOf(cp) & CONN_F_FWD_MASK;
          return this.drop(DROP_DEST_UNAVAILABLE);
        }
      }
    }
    if (cp >= 0) {
      dec.conn = CONN_HIT;
    } else {
      cp = this.connSchedule(d);
      if (cp < 0) return dec.verdict === VERDICT_DROP ? VERDICT_DROP : this.pass();
      dec.conn = CONN_NEW;
      t.setCmac(cp, d.buf, d.off + 6);
    }
    const ds = t.destOf(cp);
    dec.connSlot = cp;
    dec.destSlot = ds;
    if (dec.svcSlot < 0 && ds >= 0) {
      const svc = conns.dests[ds]!.svc;
      dec.svcSlot = svc ? svc.slot : -1;
    }
    const flags = t.flagsOf(cp);
    dec.fwd = flags & CONN_F_FWD_MASK;

    this.countPkt(ds, d.ipLen, false);
    if (d.proto === IPPROTO_TCP) conns.tcpTransition(cp, DIR_INPUT, d.tcpFlags);
    else conns.udpTransition(cp, false);

    const v = this.xmitIn(d, cp, flags);
    if ((flags & CONN_F_ONE_PACKET) !== 0) conns.destroy(cp);
    else conns.putTimer(cp);
    return v;
  }

  /** is_new_conn_expected() (the cp.control check is done by the caller). */
  private newConnExpected(cp: number): boolean {
    const t = this.conns.table;
    if (t.protoOf(cp) !== IPPROTO_TCP) return false;
    const s = t.stateOf(cp);
    if (s === TCP_S_TIME_WAIT || s === TCP_S_CLOSE) return true;
    return (this.opts.connReuseMode & 2) !== 0 && s === TCP_S_FIN_WAIT && (t.flagsOf(cp) & CONN_F_NOOUTPUT) !== 0;
  }

  /** tcp/udp_conn_schedule() + ip_vs_schedule(): a new conn's slot, or -1 with the decision set (drop) or left (pass). */
  private connSchedule(d: PacketDesc): number {
    const dec = this.decision;
    if (d.proto === IPPROTO_TCP) {
      // Only SYN without RST may create a conn (any non-RST with sloppy_tcp).
      if ((d.tcpFlags & 0x04) !== 0) return -1;
      if (!this.opts.sloppyTcp && (d.tcpFlags & 0x02) === 0) return -1;
    }
    const slot = this.index.find(d.fwmark | 0, d.proto, d.daddr | 0, d.dport);
    if (slot < 0) return -1;
    const svc = this.services[slot]!;
    dec.svcSlot = slot;
    // ip_vs_schedule(): never schedule FTP data from port 20 (active FTP replies).
    if (d.proto === IPPROTO_TCP && d.sport === 20) return -1;
    const conns = this.conns;
    let cp: number;
    if ((svc.flags & SVC_F_PERSISTENT) !== 0) {
      cp = schedPersist(this, svc, d);
      if (cp === PERSIST_TABLE_FULL) {
        this.drop(DROP_CONN_TABLE_FULL);
        return -1;
      }
      if (cp === PERSIST_NO_DEST) return this.leave(d, svc);
    } else {
      // ip_vs_schedule(): a non-persistent, non-fwmark service only schedules its own port (a
      // port-0 service logs "port zero only supported in persistent services"; FTP data caught by
      // a port-21 service is left alone); then ip_vs_leave(): ICMP port unreachable and drop.
      if (svc.fwmark === 0 && d.dport !== svc.port) {
        if (svc.port === 21) return -1;
        this.sendIcmp(d, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
        this.drop(svc.port === 0 ? DROP_PORT_ZERO : DROP_NO_DEST);
        return -1;
      }
      const dest = svc.scheduler.schedule(svc, svc.schedState, d);
      if (dest === null) return this.leave(d, svc);
      const dport = dest.port !== 0 ? dest.port : d.dport;
      const flags = (svc.flags & SVC_F_ONEPACKET) !== 0 && d.proto === IPPROTO_UDP ? CONN_F_ONE_PACKET : 0;
      cp = conns.create(d.proto, d.saddr | 0, d.sport, d.daddr | 0, d.dport, dest.addr | 0, dport, flags, dest.slot, d.fwmark | 0);
      if (cp < 0) {
        this.drop(DROP_CONN_TABLE_FULL);
        return -1;
      }
      this.countNewConn(svc, dest.slot);
    }
    return cp;
  }

  /** ip_vs_leave() without a dest (§4.7): FTP data on a port-21 service passes, else ICMP port unreachable and drop. */
  private leave(d: PacketDesc, svc: Service): number {
    if (svc.port === 21 && d.dport !== 21) return -1;
    this.sendIcmp(d, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    this.drop(DROP_NO_DEST);
    return -1;
  }

  /** cp->packet_xmit() for a frame of conn cp (its flags): DR, TUN or NAT towards the dest. */
  private xmitIn(d: PacketDesc, cp: number, flags: number): number {
    const t = this.conns.table;
    const fwd = flags & CONN_F_FWD_MASK;
    if (fwd === CONN_F_LOCALNODE) return this.pass();
    // A ONE_PACKET conn is freed right after this frame: a held frame comes back for its dest only.
    const connTag = (flags & CONN_F_ONE_PACKET) !== 0 ? -1 : cp;
    return this.xmitTo(d, fwd, t.daddrOf(cp), t.dport[cp]!, t.destOf(cp), connTag, false);
  }

  /**
   * Transmit towards real server rip:rport (dest slot ds) by method fwd. An unresolved next hop
   * (the frame is still untouched: the lookup comes before any rewrite) is offered to the holder
   * on the first pass, tagged with connTag and the dest's id; a frame coming back from the holder
   * (again = true) is dropped if it is still unresolved, so nothing loops.
   */
  private xmitTo(d: PacketDesc, fwd: number, rip: number, rport: number, ds: number, connTag: number, again: boolean): number {
    // __ip_vs_get_out_rt(): no route → "No route to ..." and the packet is dropped.
    if (!this.hop(ds, rip, fwd)) return this.drop(DROP_NO_ROUTE);
    const nh = this.neighbours.lookup(this.hopAddr);
    if (nh < 0) return this.unresolved(d, ds, connTag, again);
    const macs = this.neighbours.macs;
    let n: number;
    // The MAC and MTU of the port the frame leaves by (the route's device in the kernel).
    const port = this.hopPort;
    const mtu = this.portMtus[port]!;
    const srcMacOff = port * 6;
    if (fwd === CONN_F_MASQ) {
      n = xmitNatIn(d, rip, rport, this.portMacs, srcMacOff, macs, nh * 6, mtu);
    } else if (fwd === CONN_F_TUNNEL) {
      n = xmitTunnel(d, this.addr, rip, this.portMacs, srcMacOff, macs, nh * 6, mtu);
      if (n === -DROP_FRAG_NEEDED) return this.xmitFailed(d, DROP_FRAG_NEEDED, tunnelMtu(mtu));
    } else {
      n = xmitRoute(d, this.portMacs, srcMacOff, macs, nh * 6, mtu);
    }
    if (n < 0) return this.xmitFailed(d, -n, mtu);
    // Only a frame longer than MTU + 14 can carry an IP packet over the MTU (fragmentFrame checks exactly).
    if (d.len > mtu + 14) return this.fragment(d, port);
    return this.tx(port);
  }

  /** The next hop has no MAC yet: hold the untouched frame (first pass) or drop it. Kept out of xmitTo() (cold). */
  private unresolved(d: PacketDesc, ds: number, connTag: number, again: boolean): number {
    // As neigh_resolve_output() queueing the skb on an unresolved neighbour (unres_qlen).
    // DIFF: without a holder (uvs replay) or with its pool full the frame is dropped as
    // no_neigh, untouched (test: lifecycle.test.ts no_neigh, held.test.ts).
    const dest = ds >= 0 ? this.conns.dests[ds] : null;
    if (!again && this.holder !== null && dest && this.holder.hold(this.hopAddr >>> 0, d.buf, d.off, d.len, d.port, connTag, dest.id)) return this.held();
    return this.drop(DROP_NO_NEIGH);
  }

  /**
   * A frame the holder kept (VERDICT_HELD) and gives back now that its next hop answered ARP:
   * d describes it as first received, connTag/destTag are the tags it was held with. It is sent
   * for the conn it was scheduled to on the first pass (ONE_PACKET: for that dest) without counting
   * it or moving the conn's state again: that pass already did both. Dropped and counted when the
   * conn has expired or been replaced meanwhile (held_conn_gone), when its dest was removed
   * (held_dest_gone), or when the next hop is unresolved again (no_neigh).
   * DIFF: the kernel sends the queued skb as it was built on the first pass, whatever happened to
   * the conn since; uvs checks the conn and dest first (test: engine/held.test.ts).
   */
  xmitHeld(d: PacketDesc, connTag: number, destTag: number): number {
    const dec = this.decision;
    dec.reset();
    const code = parseFrame(d, d.buf, d.off, d.len, d.port);
    if (code !== PARSE_OK_IPV4) return code >= DROP_FIRST ? this.drop(code) : this.pass();
    if (d.proto !== IPPROTO_TCP && d.proto !== IPPROTO_UDP) return this.pass();
    const conns = this.conns;
    const t = conns.table;
    if (connTag >= 0) {
      // The same conn, still alive (findIn runs lazy expiry), still bound to the same dest.
      const cp = conns.findIn(d.proto, d.saddr | 0, d.sport, d.daddr | 0, d.dport);
      const ds = cp >= 0 ? t.destOf(cp) : -1;
      const dest = ds >= 0 ? conns.dests[ds] : null;
      if (cp !== connTag || !dest || dest.id !== destTag) return this.drop(DROP_HELD_CONN_GONE);
      this.fillConnDecision(cp, ds);
      if ((dest.flags & DEST_F_AVAILABLE) === 0) return this.drop(DROP_HELD_DEST_GONE);
      const fwd = t.flagsOf(cp) & CONN_F_FWD_MASK;
      if (fwd === CONN_F_LOCALNODE) return this.pass();
      return this.xmitTo(d, fwd, t.daddrOf(cp), t.dport[cp]!, ds, cp, true);
    }
    // ONE_PACKET: the conn is gone by design; the dest it was scheduled to must still be there.
    const dest = this.model.destById.get(destTag);
    if (!dest || dest.slot < 0 || (dest.flags & DEST_F_AVAILABLE) === 0) return this.drop(DROP_HELD_DEST_GONE);
    dec.destSlot = dest.slot;
    dec.svcSlot = dest.svc ? dest.svc.slot : -1;
    const fwd = dest.fwd & CONN_F_FWD_MASK;
    dec.fwd = fwd;
    if (fwd === CONN_F_LOCALNODE) return this.pass();
    return this.xmitTo(d, fwd, dest.addr | 0, dest.port !== 0 ? dest.port : d.dport, dest.slot, -1, true);
  }

  /** handle_response(): a NAT real server's reply, SNAT back to VIP:vport and on to the client. */
  private natReply(d: PacketDesc, cp: number): number {
    const conns = this.conns;
    const t = conns.table;
    const dec = this.decision;
    const ds = t.destOf(cp);
    dec.conn = CONN_HIT;
    dec.connSlot = cp;
    dec.destSlot = ds;
    dec.fwd = CONN_F_MASQ;
    const dest = ds >= 0 ? conns.dests[ds] : null;
    dec.svcSlot = dest && dest.svc ? dest.svc.slot : -1;
    if (d.proto === IPPROTO_TCP) conns.tcpTransition(cp, DIR_OUTPUT, d.tcpFlags);
    else conns.udpTransition(cp, true);
    // Replies go back to the client by port 0 (outside), with its MAC and MTU.
    const mtu = this.portMtus[0]!;
    const n = xmitNatOut(d, t.vaddr[cp]!, t.vport[cp]!, this.portMacs, 0, t.cmac, cp * 6, mtu);
    if (n < 0) {
      conns.putTimer(cp);
      return this.xmitFailed(d, -n, mtu);
    }
    this.countPkt(ds, d.ipLen, true);
    conns.putTimer(cp);
    if (d.len > mtu + 14) return this.fragment(d, 0);
    return this.tx(0);
  }

  /** ip_vs_out_icmp() / ip_vs_in_icmp(): ICMP errors about conns (§5.6). */
  private icmp(d: PacketDesc): number {
    const e = this.icmpE;
    const r = parseIcmpError(e, d);
    if (r === ICMP_NOT_ERROR) return this.pass();
    if (r !== ICMP_EMBEDDED_OK) return this.drop(r);
    if (e.proto === IPPROTO_IPIP && (e.saddr | 0) === this.addr) return this.tunnelIcmp(d);
    if (e.proto !== IPPROTO_TCP && e.proto !== IPPROTO_UDP) return this.pass();
    const conns = this.conns;
    const t = conns.table;
    // Outgoing: from a NAT real server about a client→RS packet.
    if (this.natDests !== 0) {
      const cp = conns.findOut(e.proto, e.daddr | 0, e.dport, e.saddr | 0, e.sport);
      if (cp >= 0 && (t.flagsOf(cp) & CONN_F_FWD_MASK) === CONN_F_MASQ) {
        const ds = t.destOf(cp);
        this.fillConnDecision(cp, ds);
        const n = icmpNatOut(d, e, t.vaddr[cp]!, t.vport[cp]!, this.portMacs, 0, t.cmac, cp * 6);
        if (n < 0) return this.drop(-n);
        this.countPkt(ds, d.ipLen, true);
        return this.tx(0);
      }
    }
    // Incoming: from the client side about something the VIP (or RS) sent to the client.
    const cp = conns.findIn(e.proto, e.daddr | 0, e.dport, e.saddr | 0, e.sport);
    if (cp < 0) return this.pass();
    const ds = t.destOf(cp);
    this.fillConnDecision(cp, ds);
    const fwd = t.flagsOf(cp) & CONN_F_FWD_MASK;
    if (fwd === CONN_F_LOCALNODE) return this.pass();
    this.countPkt(ds, d.ipLen, false);
    const rip = t.daddrOf(cp);
    if (!this.hop(ds, rip, fwd)) return this.drop(DROP_NO_ROUTE);
    // Relayed ICMP errors are not held: the conn's next hop normally answered long ago.
    const nh = this.neighbours.lookup(this.hopAddr);
    if (nh < 0) return this.drop(DROP_NO_NEIGH);
    const macs = this.neighbours.macs;
    let n: number;
    const port = this.hopPort;
    const srcMacOff = port * 6;
    if (fwd === CONN_F_MASQ) {
      n = icmpNatIn(d, e, rip, t.dport[cp]!, this.portMacs, srcMacOff, macs, nh * 6);
    } else if (fwd === CONN_F_TUNNEL) {
      n = xmitTunnel(d, this.addr, rip, this.portMacs, srcMacOff, macs, nh * 6, this.portMtus[port]!);
    } else {
      n = xmitRoute(d, this.portMacs, srcMacOff, macs, nh * 6, this.portMtus[port]!);
    }
    // Relayed ICMP is never answered with another error.
    if (n < 0) return this.drop(-n);
    return this.tx(port);
  }

  /**
   * An ICMP error about one of our own IP-in-IP packets (ip_vs_in_icmp() for IPPROTO_IPIP): the
   * quote holds our outer header, then the client's packet. Relay the error to the client about
   * its own packet: Fragmentation Needed with mtu - 20 (when > 88; nothing when the client's packet
   * had no DF), other errors with the same type/code. The new error replaces the frame in place.
   */
  private tunnelIcmp(d: PacketDesc): number {
    const e = this.icmpE;
    const b = d.buf;
    const inner = e.l4Off;
    const avail = e.l4Len;
    if (avail < 28) return this.pass();
    const ihl = (b[inner]! & 0x0f) << 2;
    if ((b[inner]! >>> 4) !== 4 || ihl < 20 || avail < ihl + 4) return this.pass();
    const proto = b[inner + 9]!;
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return this.pass();
    const saddr = (b[inner + 12]! << 24) | (b[inner + 13]! << 16) | (b[inner + 14]! << 8) | b[inner + 15]!;
    const daddr = (b[inner + 16]! << 24) | (b[inner + 17]! << 16) | (b[inner + 18]! << 8) | b[inner + 19]!;
    const sport = (b[inner + ihl]! << 8) | b[inner + ihl + 1]!;
    const dport = (b[inner + ihl + 2]! << 8) | b[inner + ihl + 3]!;
    const cp = this.conns.findIn(proto, saddr, sport, daddr, dport);
    if (cp < 0) return this.pass();
    const t = this.conns.table;
    const ds = t.destOf(cp);
    this.fillConnDecision(cp, ds);
    let info = 0;
    if (d.icmpType === ICMP_DEST_UNREACH && d.icmpCode === ICMP_FRAG_NEEDED) {
      // Without DF in the client's packet the kernel only updates its route PMTU.
      if ((b[inner + 6]! & 0x40) === 0) return this.drop(DROP_FRAG_NEEDED);
      let mtu = (b[d.l4Off + 6]! << 8) | b[d.l4Off + 7]!;
      if (mtu > 88) mtu -= 20;
      info = mtu;
    }
    this.countPkt(ds, d.ipLen, true);
    if (this.extraCount >= this.extraOff.length) return this.drop(DROP_NO_ROOM);
    const off = this.extraUsed;
    const n = writeIcmpError(this.extraBuf, off, b, inner, avail, d.icmpType, d.icmpCode, info, daddr,
      this.portMacs, 0, t.cmac, cp * 6, -1);
    if (n <= 0) return n < 0 ? this.drop(-n) : this.pass();
    // The relayed error is shorter than the frame that carried the tunnel error: write it in place.
    b.set(this.extraBuf.subarray(off, off + n), d.off);
    d.len = n;
    return this.tx(0);
  }

  private fillConnDecision(cp: number, ds: number): void {
    const dec = this.decision;
    dec.conn = CONN_HIT;
    dec.connSlot = cp;
    dec.destSlot = ds;
    dec.fwd = this.conns.table.flagsOf(cp) & CONN_F_FWD_MASK;
    const dest = ds >= 0 ? this.conns.dests[ds] : null;
    dec.svcSlot = dest && dest.svc ? dest.svc.slot : -1;
  }

  /** The dest in a slot (tests, listings). */
  destAt(slot: number): Dest | null {
    return this.conns.dests[slot] ?? null;
  }
}
