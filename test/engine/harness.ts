// Engine fixture harness: tables built from plain objects, frames from the test frame builder,
// one engine per sequence with an injected clock and seeds, each frame run through
// processFrame() in a slab slot with headroom, and the output frame / decision / state returned.
import { expect } from 'vitest';
import { Clock } from '../../src/engine/clock.js';
import { Engine, ENGINE_DROP_NAMES, VERDICT_NAMES, type EngineOptions } from '../../src/engine/engine.js';
import { StaticNeighbours } from '../../src/engine/static-neighbours.js';
import { TEMPLATE_HIT, TEMPLATE_NEW } from '../../src/engine/persistence.js';
import type { DestConfig, MarkRule, ServiceConfig, VirtualServerTable } from '../../src/model/config.js';
import { FWD_NAMES, type FwdMethod } from '../../src/model/constants.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { decodeFrame, eth, ip, mac, type FrameBuilder } from '../helpers/frame-builder.js';

export const CLIENT = '192.0.2.10';
export const CLIENT2 = '192.0.2.77';
export const VIP = '10.0.0.100';
export const DIP = '10.0.0.2';
export const RIP1 = '10.0.0.11';
export const RIP2 = '10.0.0.12';
export const RIP3 = '10.0.0.13';
export const ROUTER_MAC = '02:00:00:00:00:fe';
export const DIRECTOR_MAC = '02:00:00:00:00:d1';
export const RS1_MAC = '02:00:00:00:00:11';
export const RS2_MAC = '02:00:00:00:00:12';
export const RS3_MAC = '02:00:00:00:00:13';

let nextId = 1;

export function dest(addr: string, port: number, o: Partial<DestConfig> & { fwd?: FwdMethod } = {}): DestConfig {
  return {
    id: o.id ?? nextId++, af: 4, addr, port, weight: o.weight ?? 1, fwd: o.fwd ?? 'Route',
    uThreshold: o.uThreshold ?? 0, lThreshold: o.lThreshold ?? 0, tunType: 'ipip', tunPort: 0, tunFlags: 'nocsum',
  };
}

export function service(o: Partial<ServiceConfig> & { dests?: DestConfig[] }): ServiceConfig {
  return {
    id: o.id ?? nextId++, af: 4, protocol: o.protocol ?? 'tcp', addr: o.addr ?? VIP, port: o.port ?? 80,
    fwmark: o.fwmark ?? 0, sched: o.sched ?? 'rr', flags: o.flags ?? 0, timeoutS: o.timeoutS ?? 0,
    netmask: o.netmask ?? '255.255.255.255', pe: '', dests: o.dests ?? [],
  };
}

export function table(services: ServiceConfig[], marks: MarkRule[] = [], timeouts = { tcpS: 900, tcpFinS: 120, udpS: 300 }): VirtualServerTable {
  return { services, timeouts, marks };
}

export interface Step {
  verdict: string;
  reason: string | null;
  conn: string;
  template: string | null;
  service: string | null;
  dest: string | null;
  fwd: string | null;
  port: number;
  out: Uint8Array;
  extra: Uint8Array[];
}

export class Rig {
  readonly clock = new Clock(1_000_000);
  readonly engine: Engine;
  readonly d = new PacketDesc();

  constructor(t: VirtualServerTable, o: EngineOptions = {}) {
    this.engine = new Engine({
      maxConns: 1024, maxServices: 16, maxDests: 64, mac: mac(DIRECTOR_MAC), addr: ip(DIP), clock: this.clock,
      seed: 1, randomSeed: 7, exactTimers: true,
      neighbours: new StaticNeighbours([[ip(RIP1), mac(RS1_MAC)], [ip(RIP2), mac(RS2_MAC)], [ip(RIP3), mac(RS3_MAC)]]),
      ...o,
    });
    const errs = this.engine.applyTable(t);
    expect(errs).toEqual([]);
  }

  /** Advance the clock by ms and run the timers. */
  advance(ms: number): void {
    this.clock.nowMs += ms;
    this.engine.tick();
  }

  send(frame: FrameBuilder | Uint8Array, port = 0): Step {
    const f = frame instanceof Uint8Array ? frame : frame.build();
    const buf = new Uint8Array(64 + f.length + 64);
    buf.set(f, 64);
    const d = this.d;
    d.buf = buf; d.off = 64; d.len = f.length; d.port = port;
    const e = this.engine;
    e.resetExtra();
    e.tick();
    const v = e.processFrame(d);
    const dec = e.decision;
    const extra: Uint8Array[] = [];
    for (let k = 0; k < e.extraCount; k++) extra.push(e.extraBuf.slice(e.extraOff[k]!, e.extraOff[k]! + e.extraLen[k]!));
    return {
      verdict: VERDICT_NAMES[v]!,
      reason: dec.reason >= 0 ? ENGINE_DROP_NAMES[dec.reason]! : null,
      conn: ['none', 'new', 'hit'][dec.conn]!,
      template: dec.template === TEMPLATE_NEW ? 'new' : dec.template === TEMPLATE_HIT ? 'hit' : null,
      service: dec.svcSlot >= 0 ? e.serviceLabels[dec.svcSlot]! : null,
      dest: dec.destSlot >= 0 ? e.destLabels[dec.destSlot]! : null,
      fwd: dec.fwd >= 0 ? FWD_NAMES[dec.fwd]! : null,
      port: dec.txPort,
      out: buf.slice(d.off, d.off + d.len),
      extra,
    };
  }

  /** activeConns/inactConns/persistConns of the dest at addr:port. */
  counts(addr: string, port: number): [number, number, number] {
    for (const d of this.engine.conns.dests) if (d && d.addr === ip(addr) && d.port === port) return [d.activeConns, d.inactConns, d.persistConns];
    throw new Error(`no dest ${addr}:${port}`);
  }

  conn(caddr: string, cport: number): { state: string; expiresInMs: number; flags: number; daddr: number; dport: number } | undefined {
    return this.engine.connections().find((c) => c.caddr === ip(caddr) && c.cport === cport && c.protocol !== 'IP' && (c.flags & 0x1000) === 0);
  }

  templates(): ReturnType<Engine['connections']> {
    return this.engine.connections().filter((c) => (c.flags & 0x1000) !== 0);
  }
}

export function expectFrame(actual: Uint8Array, want: FrameBuilder | Uint8Array): void {
  const w = want instanceof Uint8Array ? want : want.build();
  expect(decodeFrame(actual)).toBe(decodeFrame(w));
  expect(Buffer.from(actual).equals(Buffer.from(w))).toBe(true);
}

/** client → VIP frame as it arrives from the router. */
export function fromClient(src = CLIENT, dst = VIP): FrameBuilder {
  return eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src, dst, ttl: 64, id: 1 });
}
