// Memory per connection at 1,000,000 conns: the ConnTable's typed arrays plus the timer wheel,
// filled through Conns.create() (hashed, bound to a dest, in the wheel), measured two ways: the
// bytes of the arrays, and the process's arrayBuffers + heap growth. The peer: the same
// 1,000,000 conns as objects in a Map keyed by the 5-tuple string, measured by heap growth.
//   npm run build && node --expose-gc dist/bench/engine/memory.bench.js [--conns 1000000]

import { pathToFileURL } from 'node:url';
import { Conns } from '../../src/conn/conns.js';
import { Clock } from '../../src/engine/clock.js';
import { Dest } from '../../src/engine/dest.js';
import { argNum } from './setup.js';

export interface MemoryResult {
  conns: number;
  arrayBytesPerConn: number;
  measuredBytesPerConn: number;
  mapPeerBytesPerConn: number;
}

function settle(): number {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) { g(); g(); }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface PeerConn { proto: number; caddr: number; cport: number; vaddr: number; vport: number; daddr: number; dport: number; state: number; flags: number; expires: number; dest: Dest }

export function measureMemory(n: number): MemoryResult {
  const before = settle();
  const clock = new Clock(0);
  const conns = new Conns(n, 16, clock, { seed: 1 });
  const d = new Dest(1, 0x0a000101, 80);
  d.slot = 0;
  conns.dests[0] = d;
  for (let i = 0; i < n; i++) {
    const c = conns.create(6, (0xc0000000 + (i >>> 6)) | 0, 1024 + (i & 63), 0x0a000064, 80, 0x0a000101, 80, 0, 0, 0);
    if (c < 0) throw new Error('table full');
    conns.table.expires[c] = 900_000;
  }
  const after = settle();
  const arrayBytes = conns.table.byteSize() + conns.wheel.byteSize();
  const measured = after - before;
  // keep `conns` alive until measured
  if (conns.table.count !== n) throw new Error('count');

  const b2 = settle();
  const map = new Map<string, PeerConn>();
  for (let i = 0; i < n; i++) {
    const caddr = (0xc0000000 + (i >>> 6)) >>> 0, cport = 1024 + (i & 63);
    map.set(`6|${caddr}|${cport}|${0x0a000064}|80`, { proto: 6, caddr, cport, vaddr: 0x0a000064, vport: 80, daddr: 0x0a000101, dport: 80, state: 0, flags: 0, expires: 900_000, dest: d });
  }
  const a2 = settle();
  if (map.size !== n) throw new Error('map');
  return { conns: n, arrayBytesPerConn: arrayBytes / n, measuredBytesPerConn: measured / n, mapPeerBytesPerConn: (a2 - b2) / n };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = argNum(process.argv, '--conns', 1_000_000);
  const r = measureMemory(n);
  const gcNote = (globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for exact heap figures)';
  console.log(`memory at ${n} conns: ${r.arrayBytesPerConn.toFixed(1)} B/conn in typed arrays, ${r.measuredBytesPerConn.toFixed(1)} B/conn measured (heap + arrayBuffers); peer Map<string, object>: ${r.mapPeerBytesPerConn.toFixed(1)} B/conn${gcNote}`);
  process.exitCode = r.arrayBytesPerConn <= 128 ? 0 : 1;
}
