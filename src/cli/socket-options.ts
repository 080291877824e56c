// The options of the commands that only talk to a running `uvs run` over its control socket
// (`uvs trace`, `uvs status`): --socket PATH (default $UVS_SOCKET, else the daemon's default) and
// --json. One parser and one start of run() (help, bad arguments), so both commands read them alike.

import { DEFAULT_SOCKET_PATH } from '../control/protocol.js';
import { wantsHelp } from './help.js';

export const SOCKET_VALUE_FLAGS: ReadonlySet<string> = new Set(['--socket']);
export const SOCKET_BOOLEAN_FLAGS: ReadonlySet<string> = new Set(['--json']);

export const SOCKET_HELP = `control socket of the running \`uvs run\` (default $UVS_SOCKET, else ${DEFAULT_SOCKET_PATH})`;

export interface SocketOptions {
  socketPath: string;
  json: boolean;
}

/** The options, or the error message (without the usage) for a bad argument. */
export function parseSocketOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): SocketOptions | { error: string } {
  const o: SocketOptions = { socketPath: env.UVS_SOCKET || DEFAULT_SOCKET_PATH, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (SOCKET_BOOLEAN_FLAGS.has(a)) {
      o.json = true;
      continue;
    }
    if (!SOCKET_VALUE_FLAGS.has(name)) return { error: `unknown option '${a}'` };
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) return { error: `option ${name} needs a value` };
    o.socketPath = value;
  }
  return o;
}

/**
 * The start of such a command's run(): `--help` prints `help` (exit 0); a bad argument prints the
 * error and `usage` on stderr (exit 2). Returns the options, or the exit status when done.
 */
export function socketCommandArgs(command: string, argv: readonly string[], usage: string, help: string): SocketOptions | number {
  if (wantsHelp(argv)) {
    process.stdout.write(help);
    return 0;
  }
  const o = parseSocketOptions(argv);
  if ('error' in o) {
    process.stderr.write(`uvs ${command}: ${o.error}\n${usage}\n`);
    return 2;
  }
  return o;
}
