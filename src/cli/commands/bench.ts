// `uvs bench sched|datapath|lab ...`: dispatches to the benchmark module dist/bench/<sub>.js,
// which exports run(argv): Promise<number>. The sub-commands are data; a module that is not
// built (or not written yet) gets a clear message instead of a stack trace.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchEntry {
  name: string;
  summary: string;
}

export const BENCHES: readonly BenchEntry[] = [
  { name: 'sched', summary: 'schedule() cost per scheduler (16 dests, varying clients)' },
  { name: 'datapath', summary: 'per-packet cost of the engine pipeline' },
  { name: 'lab', summary: 'end-to-end throughput through network namespaces, uvs and its peers' },
];

function usage(): string {
  const lines = ['Usage: uvs bench SUB [options]', '', 'Benchmarks:'];
  for (const b of BENCHES) lines.push(`  ${b.name.padEnd(9)} ${b.summary}`);
  lines.push('', 'Run `uvs bench SUB --help` for the options of one benchmark.');
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    process.stdout.write(usage() + '\n');
    return sub ? 0 : 2;
  }
  const entry = BENCHES.find((b) => b.name === sub);
  if (!entry) {
    process.stderr.write(`uvs bench: unknown benchmark '${sub}'\n${usage()}\n`);
    return 2;
  }
  // dist/src/cli/commands/bench.js → dist/bench/<sub>.js
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, '..', '..', '..', 'bench', `${entry.name}.js`);
  if (!existsSync(file)) {
    process.stderr.write(`uvs bench ${entry.name}: not available in this build (${file} is missing; bench/${entry.name}.ts may not exist yet, or run npm run build)\n`);
    return 1;
  }
  const mod = (await import(pathToFileURL(file).href)) as { run?: (argv: string[]) => Promise<number> };
  if (typeof mod.run !== 'function') {
    process.stderr.write(`uvs bench ${entry.name}: ${file} does not export run(argv)\n`);
    return 1;
  }
  return mod.run(rest);
}
