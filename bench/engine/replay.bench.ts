// `uvs replay` throughput: a generated capture of N frames (flows of SYN, 3 data segments, FIN
// from 65,536 clients to one DR service of 16 dests, 10 µs apart) replayed with and without
// --decisions/--out; frames per second of the whole command (libpcap reading included).
//   npm run build && node dist/bench/engine/replay.bench.js [--frames 500000]

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { replay } from '../../src/cli/commands/replay.js';
import { PcapWriter } from '../../src/io/pcapfile.js';
import { formatIPv4 } from '../../src/model/ipv4.js';
import { argNum, F_ACK, F_SYN, FRAME_LEN, VIP, writeTcpFrame } from './setup.js';

export async function replayBench(frames: number): Promise<Array<{ name: string; framesPerSec: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'uvs-replay-bench-'));
  try {
    const rules = ['-A -t 10.0.0.100:80 -s wlc'];
    for (let k = 1; k <= 16; k++) rules.push(`-a -t 10.0.0.100:80 -r ${formatIPv4(0x0a000100 + k)}:80 -g -w 1`);
    writeFileSync(join(dir, 'rules'), rules.join('\n') + '\n');
    const cap = join(dir, 'in.pcap');
    const w = new PcapWriter(cap);
    const f = new Uint8Array(FRAME_LEN);
    for (let i = 0; i < frames; i++) {
      const flow = Math.floor(i / 5), step = i % 5;
      const flags = step === 0 ? F_SYN : step === 4 ? 0x11 : F_ACK;
      writeTcpFrame(f, 0, (0xc0000000 + (flow & 0xffff)) >>> 0, VIP, 1024 + ((flow >>> 16) & 0x7fff), 80, flags);
      w.write(1_000_000 + i * 0.01, f);
    }
    w.close();
    const out: Array<{ name: string; framesPerSec: number }> = [];
    for (const [name, extra] of [
      ['replay, no outputs', [] as string[]],
      ['replay --decisions --out', ['--decisions', join(dir, 'd.jsonl'), '--out', join(dir, 'out.pcap')]],
    ] as const) {
      const t0 = performance.now();
      await replay(['--rules', join(dir, 'rules'), '--in', cap, '--max-conns', String(1 << 18), ...extra]);
      const ms = performance.now() - t0;
      out.push({ name, framesPerSec: (frames * 1000) / ms });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = argNum(process.argv, '--frames', 500_000);
  for (const r of await replayBench(n)) console.log(`${r.name.padEnd(30)} ${Math.round(r.framesPerSec).toLocaleString('en')} frames/s (${n} frames)`);
}
