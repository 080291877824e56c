#!/usr/bin/env node
// `uvs`: the command tree is data. Each sub-command lives in its own file under
// src/cli/commands/ and exports `run(argv): Promise<number>` (the exit status).

import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

interface CommandEntry {
  name: string;
  summary: string;
  usage: string;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', summary: 'run the live director on an interface', usage: 'uvs run --iface IF [--inside-iface IF] [--rules FILE | --keepalived FILE] [--marks FILE] [--io afpacket|pcap] [--max-conns N] [--socket PATH] [--metrics HOST:PORT]' },
  { name: 'replay', summary: 'run the engine over a capture file, deterministically', usage: 'uvs replay --rules FILE [--marks FILE] --in IN.pcap [--out OUT.pcap] [--decisions OUT.jsonl] [--mac DIRECTOR_MAC] [--neigh IP=MAC ...]' },
  { name: 'lint', summary: 'check an ipvsadm rules file or keepalived.conf', usage: 'uvs lint [--format ipvsadm|keepalived] FILE' },
  { name: 'lab', summary: 'DR/NAT/TUN clusters in network namespaces', usage: 'uvs lab up|down|status|demo|check|exec [dr|nat|tun] [--rs N] [--sched NAME] [--json]' },
  { name: 'bench', summary: 'scheduler, datapath and lab benchmarks', usage: 'uvs bench sched|datapath|lab ...' },
  { name: 'trace', summary: 'live per-packet decisions of a running director', usage: 'uvs trace [--socket PATH]' },
];

function help(): string {
  const lines = ['Usage: uvs COMMAND [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run `uvs COMMAND --help` for the options of one command. uvsadm takes ipvsadm\'s arguments.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`uvs: unknown command '${name}'\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: ${entry.usage}\n`);
    return 0;
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
