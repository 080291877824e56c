// `npm run bench`: runs every microbenchmark file (dist/bench/**/*.bench.js) one after the other,
// each in its own node process (no shared JIT or heap state), with its default options, and
// reports which ones failed. Files are found by name; add a `*.bench.ts` under bench/ to join.
//   npm run bench [-- FILTER]   (FILTER: substring of the path, e.g. sched)

import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

function findBenchFiles(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findBenchFiles(p, out);
    else if (name.endsWith('.bench.js')) out.push(p);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files: string[] = [];
findBenchFiles(here, files);
const chosen = files.filter((f) => relative(here, f).includes(filter));
if (chosen.length === 0) {
  process.stderr.write(`bench: no *.bench.js files under ${here}${filter ? ` matching '${filter}'` : ''} (run npm run build first)\n`);
  process.exitCode = 1;
} else {
  const failed: string[] = [];
  for (const f of chosen) {
    const name = relative(here, f);
    process.stdout.write(`\n=== bench/${name} ===\n`);
    const r = spawnSync(process.execPath, [f], { stdio: 'inherit' });
    if (r.status !== 0) failed.push(`${name} (exit ${r.status ?? r.signal})`);
  }
  process.stdout.write(`\n${chosen.length - failed.length}/${chosen.length} benchmark files ran${failed.length ? `; failed: ${failed.join(', ')}` : ''}\n`);
  process.exitCode = failed.length ? 1 : 0;
}
