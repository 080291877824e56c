// Cost of one N-API batch call of the AF_PACKET addon, per kernel interface (ring, mmsg), on a veth
// pair inside a namespace made for the run (`uvs-b-io-addon-*`, removed after; needs root):
//   - recv of an empty batch: the fixed cost of asking (N-API + ring check or recvmmsg syscall);
//   - send of a batch of 64 frames of 64 bytes: per-frame transmit cost including the kernel's veth
//     path to the peer (which drops them: no such EtherType);
// and the peer in the same run: an N-API call that does nothing (afpIfInfo is not that; the floor
// is `afpRecv` with maxSlots 0, which returns before touching the kernel).
// tinybench, medians of tinybench's per-task medians over --runs runs.
//   node dist/bench/io/addon.bench.js [--runs 3] [--time 300]

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { loadNative } from '../../src/io/afpacket.js';
import { destroyNamespace } from '../../netns-lab/destroy-namespace.js';
import { teardownOnExit } from '../teardown-on-exit.js';

const NS = `uvs-b-io-addon-${process.pid % 10000}`;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

async function inside(): Promise<void> {
  const a = loadNative();
  const runs = Number(arg('--runs', '3'));
  const time = Number(arg('--time', '300'));
  const slab = new ArrayBuffer(2048 * 64);
  const u8 = new Uint8Array(slab);
  const lens = new Uint32Array(64);
  const offs = new Uint32Array(64);
  const tl = new Uint32Array(64);
  for (let i = 0; i < 64; i++) {
    const o = i * 2048 + 64;
    u8.fill(0xff, o, o + 6);
    u8[o + 12] = 0x88; u8[o + 13] = 0xb6;
    offs[i] = o;
    tl[i] = 64;
  }
  const rows: Record<string, number[]> = {};
  for (let r = 0; r < runs; r++) {
    const handles = { ring: a.afpOpen('ba0', { mode: 'ring' }), ringrx: a.afpOpen('ba0', { mode: 'ringrx' }), mmsg: a.afpOpen('ba0', { mode: 'mmsg' }) };
    const bench = new Bench({ time });
    bench.add('floor: afpRecv(max 0)', () => { a.afpRecv(handles.ring, slab, 2048, 64, 0, 0, lens, 0); });
    for (const [mode, h] of Object.entries(handles)) {
      bench.add(`${mode}: recv, empty`, () => { a.afpRecv(h, slab, 2048, 64, 0, 64, lens, 0); });
      bench.add(`${mode}: send 64 frames`, () => { a.afpSend(h, u8, offs, tl, 64); });
    }
    await bench.run();
    for (const t of bench.tasks) {
      const med = t.result && 'latency' in t.result ? (t.result.latency as { p50?: number }).p50 ?? NaN : NaN;
      (rows[t.name] ??= []).push(med * 1e6); // ms → ns
    }
    a.afpClose(handles.ring);
    a.afpClose(handles.mmsg);
    a.afpClose(handles.ringrx);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  process.stdout.write('| call | ns per call (median) | ns per frame |\n|---|---|---|\n');
  for (const [name, xs] of Object.entries(rows)) {
    const m = median(xs);
    process.stdout.write(`| ${name} | ${Math.round(m)} | ${name.includes('64 frames') ? Math.round(m / 64) : ''} |\n`);
  }
}

async function outside(): Promise<void> {
  let child: ChildProcess | null = null;
  // Runs once, from the finally below or however else the process ends (signal, EPIPE, crash).
  const teardown = teardownOnExit('addon.bench', () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    destroyNamespace(NS);
  });
  const sh = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    sh(['netns', 'add', NS]);
    sh(['-n', NS, 'link', 'add', 'ba0', 'type', 'veth', 'peer', 'name', 'ba1']);
    sh(['-n', NS, 'link', 'set', 'ba0', 'up']);
    sh(['-n', NS, 'link', 'set', 'ba1', 'up']);
    // Asynchronous, so that a signal or EPIPE is handled (teardown) while the inner run goes on.
    const c = spawn('ip', ['netns', 'exec', NS, process.execPath, fileURLToPath(import.meta.url), '--inside', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = c;
    let out = '';
    c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve, reject) => { c.on('error', reject); c.on('close', resolve); });
    if (code !== 0) throw new Error(`the run inside ${NS} exited ${code}`);
    process.stdout.write(out);
  } finally {
    teardown();
  }
}

if (process.argv.includes('--inside')) await inside();
else await outside();
