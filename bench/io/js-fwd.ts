// The I/O layer alone, in JavaScript: what bench/forwarder/fwd.c does (receive a batch, rewrite
// the Ethernet addresses as a DR director does, send the batch), over a PacketIo backend. It
// separates the cost of the backend from the cost of the engine in bench/pps.ts.
//   node dist/bench/io/js-fwd.js --in IF --out IF --dst-mac MAC [--io afpacket|pcap] [--mode mmsg|ring] [--batch N]
// Prints "jsfwd ready", and "jsfwd rx=N tx=N" on SIGTERM.

import { Slab, openIo, type IoKind } from '../../src/io/backend.js';

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1]!;
  if (dflt === undefined) throw new Error(`missing ${name}`);
  return dflt;
}

const inIf = arg('--in');
const outIf = arg('--out');
const dst = Uint8Array.from(arg('--dst-mac').split(':').map((h) => parseInt(h, 16)));
const kind = arg('--io', 'afpacket') as IoKind;
const mode = arg('--mode', 'mmsg') as 'mmsg' | 'ring' | 'ringrx';
const batch = Number(arg('--batch', '64'));

const rxIo = await openIo(kind, inIf, { mode, qdiscBypass: true });
const txIo = outIf === inIf ? rxIo : await openIo(kind, outIf, { mode, qdiscBypass: true });
const src = txIo.mac;
const slab = new Slab(batch);
const lens = new Uint32Array(batch);
const offs = new Uint32Array(batch);
const txLens = new Uint32Array(batch);
const u8 = slab.u8;
let rx = 0;
let tx = 0;
let stop = false;

function forward(n: number): void {
  let m = 0;
  for (let i = 0; i < n; i++) {
    const off = slab.frameOffset(i);
    // IPv4 only, as a director
    if (lens[i]! < 34 || u8[off + 12] !== 0x08 || u8[off + 13] !== 0x00) continue;
    for (let k = 0; k < 6; k++) { u8[off + k] = dst[k]!; u8[off + 6 + k] = src[k]!; }
    offs[m] = off;
    txLens[m] = lens[i]!;
    m++;
  }
  rx += n;
  tx += txIo.send(slab.u8, offs, txLens, m);
}

function loop(): void {
  for (let spins = 0; spins < 256 && !stop; spins++) {
    const n = rxIo.recv(slab, 0, batch, lens, 50);
    if (n === 0) break;
    forward(n);
  }
  if (!stop) setImmediate(loop);
}

process.on('SIGTERM', () => {
  stop = true;
  process.stdout.write(`jsfwd rx=${rx} tx=${tx}\n`);
  rxIo.close();
  if (txIo !== rxIo) txIo.close();
  process.exit(0);
});

if (rxIo.blocking) {
  loop();
} else {
  rxIo.onReadable(() => {
    for (;;) {
      const n = rxIo.recv(slab, 0, batch, lens, 0);
      if (n === 0) break;
      forward(n);
    }
  });
}
process.stdout.write('jsfwd ready\n');
