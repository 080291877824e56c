// parseFrame() per frame kind, in batches of 256 frames at slab offsets (as the I/O delivers them):
// TCP, UDP, one 802.1Q tag, IP options, ARP. The peer is the same header walk through a DataView
// (what a Buffer/DataView-based parser costs), measured in the same run.
//   npm run build && node dist/bench/packet/parse.bench.js [--rounds 5] [--time 300]

import { Bench } from 'tinybench';
import { checksum, pseudoHeaderSum, wr16, wr32 } from '../../src/packet/checksum.js';
import { ipSendCheck } from '../../src/packet/ipv4.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame } from '../../src/packet/parse.js';
import { buildArpRequest } from '../../src/packet/arp.js';
import { BATCH, CLIENT, HEADROOM, MACS, SLOT, VIP } from '../xmit/frames.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const rounds = arg('--rounds', 5);
const timeMs = arg('--time', 300);

/** One frame: Ethernet (optional tag) + IPv4 (optional 4-byte option) + TCP or UDP, 6 bytes payload. */
function writeFrame(b: Uint8Array, off: number, proto: number, vlan: boolean, opts: boolean, sport: number): number {
  b.set(MACS.subarray(0, 12), off);
  let l3 = off + 14;
  if (vlan) {
    wr16(b, off + 12, 0x8100);
    wr16(b, off + 14, 7);
    l3 += 4;
  }
  wr16(b, l3 - 2, 0x0800);
  const ihl = opts ? 24 : 20;
  const l4len = (proto === 6 ? 20 : 8) + 6;
  b[l3] = 0x40 | (ihl >> 2);
  wr16(b, l3 + 2, ihl + l4len);
  b[l3 + 8] = 64;
  b[l3 + 9] = proto;
  wr32(b, l3 + 12, CLIENT);
  wr32(b, l3 + 16, VIP);
  if (opts) wr32(b, l3 + 20, 0x94040000);
  ipSendCheck(b, l3, ihl);
  const l4 = l3 + ihl;
  wr16(b, l4, sport);
  wr16(b, l4 + 2, 80);
  if (proto === 6) {
    b[l4 + 12] = 0x50;
    b[l4 + 13] = 0x10;
    wr16(b, l4 + 16, checksum(b, l4, l4len, pseudoHeaderSum(CLIENT, VIP, 6, l4len)));
  } else {
    wr16(b, l4 + 4, l4len);
    wr16(b, l4 + 6, checksum(b, l4, l4len, pseudoHeaderSum(CLIENT, VIP, 17, l4len)));
  }
  return l4 + l4len - off;
}

function slabOf(kind: string): { slab: Uint8Array; lens: Uint16Array } {
  const slab = new Uint8Array(BATCH * SLOT);
  const lens = new Uint16Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const off = i * SLOT + HEADROOM;
    if (kind === 'arp') lens[i] = buildArpRequest(slab, off, MACS, 0, 0x0a000001 + i, VIP);
    else lens[i] = writeFrame(slab, off, kind === 'udp' ? 17 : 6, kind === 'vlan', kind === 'options', 20000 + i);
  }
  return { slab, lens };
}

const d = new PacketDesc();
let sink = 0;

function parseTask(kind: string): () => void {
  const { slab, lens } = slabOf(kind);
  return () => {
    for (let i = 0; i < BATCH; i++) sink += parseFrame(d, slab, i * SLOT + HEADROOM, lens[i]!, 0);
  };
}

// Peer: the same checks through a DataView (big-endian getters), filling the same descriptor.
function dataViewTask(): () => void {
  const { slab, lens } = slabOf('tcp');
  const dv = new DataView(slab.buffer);
  return () => {
    for (let i = 0; i < BATCH; i++) {
      const off = i * SLOT + HEADROOM;
      const len = lens[i]!;
      if (len < 34 || dv.getUint16(off + 12) !== 0x0800) continue;
      const l3 = off + 14;
      const vihl = dv.getUint8(l3);
      const ihl = (vihl & 15) * 4;
      if (vihl >> 4 !== 4 || ihl < 20 || ihl > len - 14) continue;
      const ipLen = dv.getUint16(l3 + 2);
      if (ipLen > len - 14 || ipLen < ihl) continue;
      let s = 0;
      for (let k = 0; k < ihl; k += 2) s += dv.getUint16(l3 + k);
      s = (s & 0xffff) + (s >>> 16);
      s = (s & 0xffff) + (s >>> 16);
      if (s !== 0xffff) continue;
      d.ihl = ihl;
      d.ipLen = ipLen;
      d.proto = dv.getUint8(l3 + 9);
      d.ttl = dv.getUint8(l3 + 8);
      d.saddr = dv.getUint32(l3 + 12);
      d.daddr = dv.getUint32(l3 + 16);
      const l4 = l3 + ihl;
      d.sport = dv.getUint16(l4);
      d.dport = dv.getUint16(l4 + 2);
      d.tcpFlags = dv.getUint8(l4 + 13);
      sink += d.dport;
    }
  };
}

const tasks: [string, () => void][] = [
  ['parse TCP', parseTask('tcp')],
  ['parse UDP', parseTask('udp')],
  ['parse TCP, 802.1Q tag', parseTask('vlan')],
  ['parse TCP, IP options', parseTask('options')],
  ['parse ARP request', parseTask('arp')],
  ['peer: DataView parse TCP', dataViewTask()],
];

const perRound = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  const bench = new Bench({ time: timeMs, warmupTime: 100 });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  for (const t of bench.tasks) {
    const p50 = (t.result as { latency?: { p50?: number } } | undefined)?.latency?.p50;
    if (p50 === undefined) throw new Error(`task ${t.name} has no result`);
    const list = perRound.get(t.name) ?? [];
    list.push((p50 * 1e6) / BATCH);
    perRound.set(t.name, list);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

console.log(`parse bench: ${rounds} rounds x ${timeMs} ms, batch ${BATCH} (sink ${sink !== 0 ? 'ok' : 0})`);
for (const [name] of tasks) {
  const xs = perRound.get(name)!;
  console.log(`${name.padEnd(32)} ${median(xs).toFixed(1).padStart(7)} ns/frame   rounds: ${xs.map((x) => x.toFixed(1)).join(' ')}`);
}
