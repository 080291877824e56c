// Shared setup of the engine benchmarks: an engine with one TCP service of 16 dests (DR, NAT or
// TUN, any scheduler), and slabs of BATCH TCP frames in slots with headroom, written with the
// packet layer's own field writers (the whole pipeline is measured: parse, lookup, state,
// transmit). Addresses: clients 192.0.2.0/24 + port, VIP 10.0.0.100:80, dests 10.0.1.1..16.

import { Clock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { StaticNeighbours } from '../../src/engine/static-neighbours.js';
import type { DestConfig, VirtualServerTable } from '../../src/model/config.js';
import type { FwdMethod } from '../../src/model/constants.js';
import { formatIPv4 } from '../../src/model/ipv4.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { writeTcpFrame as writeFrame } from '../xmit/frames.js';

export const BATCH = 256;
export const SLOT = 256;
export const HEADROOM = 64;
export const PAYLOAD = 6;
export const FRAME_LEN = 14 + 20 + 20 + PAYLOAD;
export const VIP = 0x0a000064;
export const CLIENT_NET = 0xc0000200;
export const DEST_BASE = 0x0a000100;
export const NDESTS = 16;
export const F_SYN = 0x02;
export const F_ACK = 0x10;

const MACS = Uint8Array.of(2, 0, 0, 0, 0, 0xd1, 2, 0, 0, 0, 0, 0xfe);

export function writeTcpFrame(b: Uint8Array, off: number, saddr: number, daddr: number, sport: number, dport: number, flags: number): void {
  writeFrame(b, off, saddr, daddr, sport, dport, flags, MACS);
}

export function clientOf(i: number): [number, number] {
  return [(CLIENT_NET + (i & 0xff)) >>> 0, 10000 + (i >>> 8)];
}

/** BATCH client→VIP:80 frames, client i = clientOf(base + i). */
export function clientSlab(flags: number, base = 0): Uint8Array {
  const b = new Uint8Array(BATCH * SLOT);
  for (let i = 0; i < BATCH; i++) {
    const [c, p] = clientOf(base + i);
    writeTcpFrame(b, i * SLOT + HEADROOM, c, VIP, p, 80, flags);
  }
  return b;
}

/** BATCH replies RS:port → client, for the conns clientOf(base + i) bound to the dests of `destOf`. */
export function replySlab(destOf: (i: number) => [number, number], base = 0): Uint8Array {
  const b = new Uint8Array(BATCH * SLOT);
  for (let i = 0; i < BATCH; i++) {
    const [c, p] = clientOf(base + i);
    const [rip, rport] = destOf(i);
    writeTcpFrame(b, i * SLOT + HEADROOM, rip, c, rport, p, F_ACK);
  }
  return b;
}

export function tableOf(fwd: FwdMethod, sched: string, ndests = NDESTS): VirtualServerTable {
  const dests: DestConfig[] = [];
  for (let k = ndests - 1; k >= 0; k--) {
    dests.push({ id: 100 + k, af: 4, addr: formatIPv4(DEST_BASE + 1 + k), port: fwd === 'Masq' ? 8080 : 80, weight: 100 * (1 + (k % 3)), fwd,
      uThreshold: 0, lThreshold: 0, tunType: 'ipip', tunPort: 0, tunFlags: 'nocsum' });
  }
  return {
    services: [{ id: 1, af: 4, protocol: 'tcp', addr: formatIPv4(VIP), port: 80, fwmark: 0, sched, flags: 0, timeoutS: 0, netmask: '255.255.255.255', pe: '', dests }],
    timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 }, marks: [],
  };
}

export function makeEngine(fwd: FwdMethod, sched: string, maxConns = 1 << 18): { engine: Engine; clock: Clock } {
  const clock = new Clock(1_000_000);
  const engine = new Engine({ maxConns, maxServices: 4, maxDests: 64, addr: 0x0a000002, clock, seed: 1, randomSeed: 1, neighbours: new StaticNeighbours() });
  const errs = engine.applyTable(tableOf(fwd, sched));
  if (errs.length) throw new Error(errs.join('\n'));
  return { engine, clock };
}

/** Run every frame of a slab through the engine; returns the number of TX verdicts. */
export function runSlab(engine: Engine, d: PacketDesc, slab: Uint8Array, port = 0): number {
  let tx = 0;
  for (let i = 0; i < BATCH; i++) {
    d.buf = slab;
    d.off = i * SLOT + HEADROOM;
    d.len = FRAME_LEN;
    d.port = port;
    if (engine.processFrame(d) === 0) tx++;
  }
  return tx;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function argNum(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
}
