#!/usr/bin/env node
// `uvs`: the command tree is data. Each sub-command lives in its own file under
// src/cli/commands/ and exports `run(argv): Promise<number>` (the exit status). The modules own
// their usage and `--help` (src/cli/help.ts); this table only names them for `uvs --help`.

import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { quitWhenReaderLeaves } from './closed-pipe.js';

interface CommandEntry {
  name: string;
  summary: string;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: 'run the live director on an interface' },
  { name: 'replay', summary: 'run the engine over a capture file, deterministically' },
  { name: 'lint', summary: 'check an ipvsadm rules file, a keepalived.conf or a marks file' },
  { name: 'lab', summary: 'DR/NAT/TUN clusters in network namespaces' },
  { name: 'bench', summary: 'scheduler, datapath and lab benchmarks' },
  { name: 'trace', summary: 'live per-packet decisions of a running director' },
  { name: 'status', summary: 'what a running director forwarded, dropped (and why) and its neighbours' },
];

function help(): string {
  const lines = ['Usage: uvs COMMAND [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run `uvs COMMAND --help` for the options of one command. uvsadm takes ipvsadm\'s arguments.');
  return lines.join('\n');
}

// When the reader of the output goes away, every command stops quietly, as a C tool does on
// SIGPIPE, except `lab`, which tears its namespaces down first. The `run` daemon writes nothing to
// these streams while it runs (its log goes to fd 2 through pino), so the rule never cuts it short.
const OWN_CLOSED_PIPE = new Set(['lab']);

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!OWN_CLOSED_PIPE.has(name ?? '')) quitWhenReaderLeaves();
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`uvs: unknown command '${name}'\n${help()}\n`);
    return 2;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const mod = (await import(pathToFileURL(join(here, 'commands', `${name}.js`)).href)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`uvs: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
