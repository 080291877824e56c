// `uvs bench datapath`: the engine's per-packet costs (established DR/TUN/NAT flows, new conns per
// scheduler, conn lookup vs a Map<string> peer), the allocation gate (GC events over 1,000,000
// packets) and memory per conn at 1,000,000 conns (in a child process with --expose-gc).
//   uvs bench datapath [--rounds N] [--time MS] [--quick] [--json]

import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printLines, runEngineBench } from './engine/engine.bench.js';
import { prepareGcGate } from './engine/gc.bench.js';

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: uvs bench datapath [--rounds N] [--time MS] [--quick] [--json]\n');
    return 0;
  }
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const lines = await runEngineBench(argv);
  const gc = await prepareGcGate()(quick ? 200_000 : 1_000_000);
  const here = dirname(fileURLToPath(import.meta.url));
  const mem = spawnSync(process.execPath, ['--expose-gc', join(here, 'engine', 'memory.bench.js'), '--conns', quick ? '100000' : '1000000'], { encoding: 'utf8' });
  const memLine = (mem.stdout ?? '').trim() || `memory bench failed: ${(mem.stderr ?? '').trim()}`;
  if (json) {
    process.stdout.write(JSON.stringify({ lines, gc, memory: memLine }) + '\n');
  } else {
    console.log(`uvs bench datapath (${new Date().toISOString()}, Node ${process.version})`);
    printLines(lines);
    console.log(`gc gate: ${gc.packets} packets, ${gc.gcEvents} GC events during the loop`);
    console.log(memLine);
  }
  return gc.gcEvents === 0 ? 0 : 1;
}
