// The datapath worker of `uvs run`: one thread that owns the packet I/O, the engine, and uvs's own
// neighbour cache, and runs the loop
//
//   wait (poll, ≤ 50 ms) → receive a batch per port → clock + conn expiry once per batch →
//   per frame: learn ARP senders, engine.processFrame(), queue TX/ARP replies by egress port
//   (the engine itself hands frames whose next hop is unresolved to the neighbour cache) → frames
//   the neighbour cache released (their next hop answered ARP) through engine.xmitHeld(), which
//   sends them for the conn they were scheduled to without counting them again → send each port's
//   batch (and the engine's own ICMP errors) → send due ARP requests → between batches, control
//   messages if the main thread raised the pending flag.
//
// Nothing in the per-frame part allocates (the trace, when a client asked for it, does). Control
// messages (a new table, a snapshot request) are read with receiveMessageOnPort() only when the
// shared `pending` flag is set, so the loop never waits for the main thread. Counters live in the
// engine's SharedArrayBuffers, which the main thread reads directly.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Slab, openIo, type PacketIo } from '../io/backend.js';
import { AfPacketIo } from '../io/afpacket.js';
import { NeighbourCache, type ReleaseHeld } from '../io/neighbour-cache.js';
import type { Route } from '../engine/next-hop.js';
import { Engine, ENGINE_DROP_NAMES, VERDICT_ARP, VERDICT_NAMES, VERDICT_TX, CONN_NEW, CONN_HIT } from '../engine/engine.js';
import { TEMPLATE_HIT, TEMPLATE_NEW } from '../engine/persistence.js';
import { buildArpRequest, buildGratuitousArp } from '../packet/arp.js';
import { FWD_NAMES } from '../model/constants.js';
import { formatIPv4, parseIPv4 } from '../model/ipv4.js';
import type { VirtualServerTable } from '../model/config.js';
import { FLAG_PENDING, FLAG_STOP, FLAG_TRACE, type FromWorker, type Snapshot, type ToWorker, type TraceRecord, type WorkerInit } from './worker-protocol.js';

const PROTO_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 132: 'SCTP' };
const NEIGH_STATE_NAMES = ['NONE', 'INCOMPLETE', 'REACHABLE', 'PERMANENT', 'FAILED'];
/** Most trace records sent per second; the rest are counted as skipped. */
const TRACE_PER_SECOND = 2000;

/** Where the datapath talks to the control side: the worker's parentPort, or one end of a
 * MessageChannel when the datapath runs on the main thread (--io pcap: libpcap's `cap` binding
 * is not safe to load in a worker thread). */
let port: MessagePort | null = parentPort;

function post(msg: FromWorker): void {
  port!.postMessage(msg);
}

function macText(b: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + b[off + i]!.toString(16).padStart(2, '0');
  return s;
}

function vipsOf(table: VirtualServerTable): number[] {
  const out: number[] = [];
  for (const s of table.services) {
    if (s.fwmark || s.af !== 4) continue;
    const a = parseIPv4(s.addr);
    if (a !== null && !out.includes(a)) out.push(a);
  }
  return out;
}

export class Datapath {
  readonly init: WorkerInit;
  readonly ios: PacketIo[];
  readonly engine: Engine;
  readonly neigh: NeighbourCache;
  readonly slab: Slab;
  private readonly flags: Int32Array;
  private readonly batch: number;
  private readonly lens: Uint32Array;
  private readonly txOff: Uint32Array[];
  private readonly txLen: Uint32Array[];
  private readonly txCount: Int32Array;
  private readonly extraOff: Uint32Array;
  private readonly extraLen: Uint32Array;
  private readonly arpBuf: Uint8Array;
  private readonly arpOff: Uint32Array[];
  private readonly arpLen: Uint32Array[];
  private readonly arpCount: Int32Array;
  private reinjectNext: number;
  private readonly reinjectPort: Uint8Array;
  private readonly reinjectLen: Uint32Array;
  private readonly reinjectConn: Int32Array;
  private readonly reinjectDest: Int32Array;
  private readonly waitScratch: Int32Array;
  private readonly afpIos: AfPacketIo[];
  private vips: number[];
  private garpDue: Array<{ ip: number; atMs: number; left: number }>;
  private traceBuf: TraceRecord[];
  private traceSkipped: number;
  private traceWindowStart: number;
  private traceInWindow: number;
  private frameIndex: number;
  private startMs: number;
  /** heldLost: frames the neighbour cache released in one batch beyond the room to send them. */
  readonly counters: { rx: number; tx: number; txDrops: number; oversize: number; arpSent: number; garpSent: number; kernelDrops: number; batches: number; heldLost: number };
  /** Per port: the largest frame accepted (MTU + Ethernet header + one VLAN tag, within a slot). */
  private readonly maxFrame: Uint32Array;
  private readonly sendArpRequest: (ip: number) => void;
  private readonly release: ReleaseHeld;
  private readonly heldFailed: () => void;

  /**
   * `clock` gives milliseconds (default performance.now()). Reading the real clock allocates one
   * number per batch (never per packet); the allocation gate test passes an integer clock to see
   * everything else the loop does.
   */
  constructor(init: WorkerInit, ios: PacketIo[], private readonly clock: () => number = () => performance.now()) {
    this.init = init;
    this.ios = ios;
    this.batch = init.batch;
    this.flags = new Int32Array(init.flags);
    this.neigh = new NeighbourCache({ capacity: 4096 });
    for (const n of init.neigh) {
      const mac = Uint8Array.from(n.mac.split(':').map((h) => parseInt(h, 16)));
      this.neigh.setStatic(n.ip, mac);
    }
    // Each port's own MAC and MTU: a frame leaving by the inside interface carries that
    // interface's MAC and is checked against its MTU, as a router's would.
    const portMacs = new Uint8Array(ios.length * 6);
    ios.forEach((io, p) => portMacs.set(io.mac.subarray(0, 6), p * 6));
    this.engine = new Engine({
      maxConns: init.maxConns,
      portMacs,
      portMtus: ios.map((io) => io.mtu),
      addr: init.addr,
      neighbours: this.neigh,
      natPort: ios.length > 1 ? 1 : 0,
      ifaceNames: ios.map((io) => io.ifname),
      holder: this.neigh,
      routes: init.routes ?? null,
    });
    // Receive slots [0, batch) per port in turn, then [batch, 2*batch) for frames released by ARP.
    this.slab = new Slab(this.batch * 2);
    this.lens = new Uint32Array(this.batch);
    this.txOff = ios.map(() => new Uint32Array(this.batch * 2 * ios.length));
    this.txLen = ios.map(() => new Uint32Array(this.batch * 2 * ios.length));
    this.txCount = new Int32Array(ios.length);
    this.extraOff = new Uint32Array(64);
    this.extraLen = new Uint32Array(64);
    this.arpBuf = new Uint8Array(64 * 64 * ios.length);
    this.arpOff = ios.map(() => new Uint32Array(64));
    this.arpLen = ios.map(() => new Uint32Array(64));
    this.arpCount = new Int32Array(ios.length);
    this.reinjectNext = 0;
    this.reinjectPort = new Uint8Array(this.batch);
    this.reinjectLen = new Uint32Array(this.batch);
    this.reinjectConn = new Int32Array(this.batch);
    this.reinjectDest = new Int32Array(this.batch);
    this.waitScratch = new Int32Array(ios.length);
    this.afpIos = ios.every((io) => io instanceof AfPacketIo) ? (ios as AfPacketIo[]) : [];
    this.vips = [];
    this.garpDue = [];
    this.traceBuf = [];
    this.traceSkipped = 0;
    this.traceWindowStart = 0;
    this.traceInWindow = 0;
    this.frameIndex = 0;
    this.startMs = this.clock();
    this.maxFrame = Uint32Array.from(ios.map((io) => Math.min(io.mtu + 18, this.slab.frameRoom)));
    this.counters = { rx: 0, tx: 0, txDrops: 0, oversize: 0, arpSent: 0, garpSent: 0, kernelDrops: 0, batches: 0, heldLost: 0 };
    this.sendArpRequest = (ip: number) => {
      for (let p = 0; p < this.ios.length; p++) this.queueArp(p, ip, false);
    };
    this.release = (buf, off, len, port, connTag, destTag) => {
      if (this.reinjectNext >= this.batch) { this.counters.heldLost++; return; }
      const k = this.reinjectNext++;
      const dst = this.slab.frameOffset(this.batch + k);
      const u8 = this.slab.u8;
      for (let i = 0; i < len; i++) u8[dst + i] = buf[off + i]!; // no subarray(): no allocation
      this.reinjectLen[k] = len;
      this.reinjectPort[k] = port;
      this.reinjectConn[k] = connTag;
      this.reinjectDest[k] = destTag;
    };
    this.heldFailed = () => this.engine.countNeighFailed();
  }

  /** New routes (control side): each dest's next hop is looked up again. */
  setRoutes(routes: Route[] | null): void {
    this.engine.setRoutes(routes);
    this.logRouteWarnings();
  }

  /** One warning line per dest that has just lost (or never had) a route. */
  private logRouteWarnings(): void {
    for (const w of this.engine.takeRouteWarnings()) {
      if (port) post({ type: 'log', level: 'warn', msg: w });
    }
  }

  /** Applies a table; sends gratuitous ARP for VIPs that appeared. */
  applyTable(table: VirtualServerTable): string[] {
    const errors = this.engine.applyTable(table);
    this.logRouteWarnings();
    if (errors.length === 0) {
      const next = vipsOf(table);
      const now = this.nowMs();
      for (const v of next) {
        // keepalived sends 5 gratuitous ARPs by default; uvs sends 3, one second apart.
        if (!this.vips.includes(v)) this.garpDue.push({ ip: v, atMs: now, left: 3 });
      }
      this.vips = next;
    }
    return errors;
  }

  private nowMs(): number {
    return this.clock() - this.startMs;
  }

  private queueArp(port: number, ip: number, gratuitous: boolean): void {
    const k = this.arpCount[port]!;
    if (k >= 64) return;
    const off = (port * 64 + k) * 64;
    const io = this.ios[port]!;
    const n = gratuitous
      ? buildGratuitousArp(this.arpBuf, off, io.mac, 0, ip)
      : buildArpRequest(this.arpBuf, off, io.mac, 0, this.init.portAddrs[port] ?? 0, ip);
    if (n <= 0) return;
    this.arpOff[port]![k] = off;
    this.arpLen[port]![k] = n;
    this.arpCount[port] = k + 1;
    if (gratuitous) this.counters.garpSent++;
    else this.counters.arpSent++;
  }

  /** One frame through the engine; queues its output. Hot path: no allocation unless tracing. */
  private handle(off: number, len: number, port: number, tracing: boolean): void {
    // Longer than the wire allows (an offload super-frame from a peer with TSO/GRO on) or cut by
    // the slot: never forwarded (DESIGN.md §3), counted.
    if (len > this.maxFrame[port]!) {
      this.counters.oversize++;
      return;
    }
    const u8 = this.slab.u8;
    // ARP from anyone: refresh/learn the sender (arp_process() updates existing entries).
    if (len >= 42 && u8[off + 12] === 0x08 && u8[off + 13] === 0x06) {
      const spa = ((u8[off + 28]! << 24) | (u8[off + 29]! << 16) | (u8[off + 30]! << 8) | u8[off + 31]!) >>> 0;
      if (spa !== 0) this.neigh.learn(spa, u8, off + 22, port, this.release);
    }
    const engine = this.engine;
    const d = engine.desc;
    d.buf = u8;
    d.off = off;
    d.len = len;
    d.port = port;
    this.queue(engine.processFrame(d));
    if (tracing) this.trace(port);
  }

  /** A frame the neighbour cache released, back through the engine for its conn. Hot path. */
  private handleHeld(k: number, tracing: boolean): void {
    const engine = this.engine;
    const d = engine.desc;
    d.buf = this.slab.u8;
    d.off = this.slab.frameOffset(this.batch + k);
    d.len = this.reinjectLen[k]!;
    d.port = this.reinjectPort[k]!;
    this.queue(engine.xmitHeld(d, this.reinjectConn[k]!, this.reinjectDest[k]!));
    if (tracing) this.trace(d.port);
  }

  /** Queues the engine's output frame (engine.desc) on its egress port. */
  private queue(v: number): void {
    const engine = this.engine;
    const d = engine.desc;
    const dec = engine.decision;
    if (v === VERDICT_TX || v === VERDICT_ARP) {
      const p = dec.txPort < this.ios.length ? dec.txPort : 0;
      const k = this.txCount[p]!;
      if (k < this.txOff[p]!.length) {
        this.txOff[p]![k] = d.off;
        this.txLen[p]![k] = d.len;
        this.txCount[p] = k + 1;
      } else {
        this.counters.txDrops++;
      }
    }
  }

  private trace(port: number): void {
    const now = this.nowMs();
    if (now - this.traceWindowStart >= 1000) {
      this.traceWindowStart = now;
      this.traceInWindow = 0;
    }
    if (this.traceInWindow >= TRACE_PER_SECOND) {
      this.traceSkipped++;
      return;
    }
    this.traceInWindow++;
    const e = this.engine;
    const dec = e.decision;
    const d = e.desc;
    const svc = dec.svcSlot >= 0 ? e.serviceLabels[dec.svcSlot] || null : null;
    const dest = dec.destSlot >= 0 ? e.destLabels[dec.destSlot] || null : null;
    const rec: TraceRecord = {
      i: this.frameIndex,
      ts: Math.round(now) / 1000,
      port,
      verdict: VERDICT_NAMES[dec.verdict] ?? String(dec.verdict),
      service: svc,
      dest,
      fwd: dec.fwd >= 0 ? FWD_NAMES[dec.fwd] ?? String(dec.fwd) : null,
      conn: dec.conn === CONN_NEW ? 'new' : dec.conn === CONN_HIT ? 'hit' : 'none',
      template: dec.template === TEMPLATE_NEW ? 'new' : dec.template === TEMPLATE_HIT ? 'hit' : null,
      proto: d.ethType === 0x0806 ? 'ARP' : PROTO_NAMES[d.proto] ?? String(d.proto),
      src: d.sport ? `${formatIPv4(d.saddr)}:${d.sport}` : formatIPv4(d.saddr),
      dst: d.dport ? `${formatIPv4(d.daddr)}:${d.dport}` : formatIPv4(d.daddr),
    };
    if (dec.reason >= 0) rec.reason = ENGINE_DROP_NAMES[dec.reason] ?? String(dec.reason);
    this.traceBuf.push(rec);
  }

  /** One pass: wait, receive and process a batch from every port, transmit. Returns frames received. */
  step(waitMs: number): number {
    const ios = this.ios;
    if (waitMs > 0 && this.afpIos.length > 1) AfPacketIo.waitAny(this.afpIos, this.waitScratch, waitMs);
    const now = this.nowMs();
    this.engine.clock.nowMs = now;
    this.neigh.nowMs = now;
    this.engine.tick();
    this.engine.resetExtra();
    this.reinjectNext = 0;
    const tracing = Atomics.load(this.flags, FLAG_TRACE) !== 0;
    let total = 0;
    for (let p = 0; p < ios.length; p++) {
      this.txCount[p] = 0;
      this.arpCount[p] = 0;
    }
    for (let p = 0; p < ios.length; p++) {
      const io = ios[p]!;
      const n = io.recv(this.slab, 0, this.batch, this.lens, ios.length === 1 ? waitMs : 0);
      for (let i = 0; i < n; i++) {
        this.frameIndex++;
        this.handle(this.slab.frameOffset(i), this.lens[i]!, p, tracing);
      }
      total += n;
      // Frames of this port's batch sit in slots [0, batch): send before the next port reuses them.
      this.flushTx();
    }
    // Frames released by ARP answers in this batch: sent for the conns they were held for.
    for (let k = 0; k < this.reinjectNext; k++) this.handleHeld(k, tracing);
    this.flushTx();
    // The engine's own frames (ICMP errors), by port.
    const e = this.engine;
    for (let p = 0; p < ios.length && e.extraCount > 0; p++) {
      let m = 0;
      for (let k = 0; k < e.extraCount; k++) {
        if (e.extraPort[k] !== p) continue;
        this.extraOff[m] = e.extraOff[k]!;
        this.extraLen[m] = e.extraLen[k]!;
        m++;
      }
      if (m > 0) this.counters.tx += ios[p]!.send(e.extraBuf, this.extraOff, this.extraLen, m);
    }
    this.neigh.tick(now, this.sendArpRequest, this.heldFailed);
    if (this.garpDue.length > 0) this.gratuitous(now);
    for (let p = 0; p < ios.length; p++) {
      const c = this.arpCount[p]!;
      if (c > 0) ios[p]!.send(this.arpBuf, this.arpOff[p]!, this.arpLen[p]!, c);
      this.arpCount[p] = 0;
    }
    this.counters.rx += total;
    this.counters.batches++;
    if (tracing && (this.traceBuf.length > 0 || this.traceSkipped > 0) && (this.traceBuf.length >= 256 || total === 0 || this.counters.batches % 16 === 0)) {
      post({ type: 'trace', records: this.traceBuf, skipped: this.traceSkipped });
      this.traceBuf = [];
      this.traceSkipped = 0;
    }
    return total;
  }

  private flushTx(): void {
    for (let p = 0; p < this.ios.length; p++) {
      const c = this.txCount[p]!;
      if (c === 0) continue;
      const sent = this.ios[p]!.send(this.slab.u8, this.txOff[p]!, this.txLen[p]!, c);
      this.counters.tx += sent;
      this.counters.txDrops += c - sent;
      this.txCount[p] = 0;
    }
  }

  private gratuitous(now: number): void {
    // Called every batch while announcements are pending (3 s per new VIP): allocate only when one is due.
    let due = false;
    for (let i = 0; i < this.garpDue.length; i++) if (now >= this.garpDue[i]!.atMs) { due = true; break; }
    if (!due) return;
    const keep: Array<{ ip: number; atMs: number; left: number }> = [];
    for (const g of this.garpDue) {
      if (now < g.atMs) { keep.push(g); continue; }
      if (!this.vips.includes(g.ip)) continue;
      this.queueArp(0, g.ip, true);
      if (g.left > 1) keep.push({ ip: g.ip, atMs: now + 1000, left: g.left - 1 });
    }
    this.garpDue = keep;
  }

  snapshot(withConns: boolean): Snapshot {
    const e = this.engine;
    const services: Snapshot['services'] = {};
    const dests: Snapshot['dests'] = {};
    for (const id of e.model.serviceById.keys()) services[id] = e.serviceStats(id);
    for (const id of e.model.destById.keys()) dests[id] = e.destCounters(id);
    let kernelDrops = 0;
    for (const io of this.ios) {
      try { kernelDrops += io.stats().drops; } catch { /* closed */ }
    }
    this.counters.kernelDrops += kernelDrops;
    const counters: Record<string, number> = { ...this.counters };
    for (const [k, v] of Object.entries(this.neigh.counters)) counters[`neigh_${k}`] = v;
    const neighbours = this.neigh.entries().map((n) => ({
      ip: formatIPv4(n.ip), mac: n.mac, state: NEIGH_STATE_NAMES[n.state] ?? String(n.state), expiresInMs: Math.round(n.expiresInMs),
    }));
    return { services, dests, conns: withConns ? e.connections() : [], counters, neighbours };
  }

  /** Reads control messages when the main thread flagged some. */
  control(): void {
    if (Atomics.load(this.flags, FLAG_PENDING) === 0) return;
    Atomics.store(this.flags, FLAG_PENDING, 0);
    for (;;) {
      const m = receiveMessageOnPort(port!);
      if (!m) break;
      const msg = m.message as ToWorker;
      if (msg.type === 'table') post({ type: 'applied', seq: msg.seq, errors: this.applyTable(msg.table) });
      else if (msg.type === 'routes') this.setRoutes(msg.routes);
      else if (msg.type === 'snapshot') post({ type: 'snapshot', seq: msg.seq, snapshot: this.snapshot(msg.conns) });
    }
  }

  get stopping(): boolean {
    return Atomics.load(this.flags, FLAG_STOP) !== 0;
  }

  close(): void {
    for (const io of this.ios) {
      try { io.close(); } catch { /* already closed */ }
    }
  }
}

/**
 * Runs the datapath until the stop flag is raised; `onExit` is called after the sockets are
 * closed (in a worker: process.exit of the thread).
 */
export async function runDatapath(init: WorkerInit, controlPort: MessagePort, onExit: () => void): Promise<void> {
  port = controlPort;
  const ios: PacketIo[] = [];
  try {
    for (const ifname of init.ifaces) ios.push(await openIo(init.io, ifname, { promisc: true, mode: init.mode, ringFrames: init.ringFrames }));
  } catch (err) {
    for (const io of ios) io.close();
    const e = err as Error & { code?: string };
    post({ type: 'error', message: e.message, code: e.code });
    onExit();
    return;
  }
  const dp = new Datapath(init, ios);
  const errors = dp.applyTable(init.table);
  if (errors.length) post({ type: 'log', level: 'error', msg: 'initial table refused by the engine', fields: { errors } });
  post({
    type: 'ready',
    ports: ios.map((io) => ({ ifname: io.ifname, mac: macText(io.mac), mtu: io.mtu, index: io.ifindex })),
    stats: dp.engine.stats.buffers,
    maxServices: dp.engine.opts.maxServices,
    maxDests: dp.engine.opts.maxDests,
  });
  const finish = () => {
    dp.close();
    post({ type: 'stopped', counters: { ...dp.counters } });
    onExit();
  };
  if (ios[0]!.blocking) {
    // Blocking I/O: loop here, yielding to the event loop every so often only for housekeeping.
    const run = () => {
      for (let k = 0; k < 1000; k++) {
        if (dp.stopping) return finish();
        dp.step(50);
        dp.control();
      }
      setImmediate(run);
    };
    run();
  } else {
    // Event-loop I/O (pcap): process whenever frames arrive, and on a timer for expiry/ARP/control.
    const kick = () => {
      if (dp.stopping) return finish();
      while (dp.step(0) > 0) { /* drain */ }
      dp.control();
    };
    for (const io of ios) io.onReadable(kick);
    const timer = setInterval(() => {
      kick();
      if (dp.stopping) clearInterval(timer);
    }, 20);
  }
}

if (parentPort && workerData && (workerData as { uvsDatapath?: boolean }).uvsDatapath) {
  void runDatapath(workerData as WorkerInit, parentPort, () => process.exit(0));
}
