// `uvs trace [--socket PATH] [--json]`: attaches to a running `uvs run` and prints every packet
// decision as it happens, one line each:
//   12.345 out  TCP 10.0.9.2:40312 → 10.0.0.100:80  tx  TCP 10.0.0.100:80 → 10.0.0.11:80 Route conn=new
// --json prints the raw decision objects (the `uvs replay --decisions` shape plus port/src/dst).

import { connect } from 'node:net';
import type { TraceRecord } from '../../daemon/worker-protocol.js';
import { formatHelp } from '../help.js';
import { socketCommandArgs, SOCKET_BOOLEAN_FLAGS, SOCKET_HELP, SOCKET_VALUE_FLAGS } from '../socket-options.js';

export const USAGE = 'Usage: uvs trace [--socket PATH] [--json]';

/** The options run() accepts: with a value, and without. */
export const TRACE_VALUE_FLAGS = SOCKET_VALUE_FLAGS;
export const TRACE_BOOLEAN_FLAGS = SOCKET_BOOLEAN_FLAGS;

export const HELP = formatHelp(USAGE, [
  { flag: '--socket PATH', text: SOCKET_HELP },
  { flag: '--json', text: 'print each decision as its JSON object (the uvs replay --decisions shape plus port, src, dst) (default: one aligned text line)' },
], ['Prints every packet decision as it happens until Ctrl-C; the director rate-limits them and says how many were not shown.']);

export function formatTrace(r: TraceRecord): string {
  const port = r.port === 0 ? 'out' : 'in ';
  const flow = `${r.proto} ${r.src} → ${r.dst}`;
  const parts = [r.ts.toFixed(3).padStart(9), port, flow.padEnd(48), r.verdict.padEnd(4)];
  if (r.service) parts.push(r.service);
  if (r.dest) parts.push(`→ ${r.dest}`);
  if (r.fwd) parts.push(r.fwd);
  if (r.conn !== 'none') parts.push(`conn=${r.conn}`);
  if (r.template) parts.push(`template=${r.template}`);
  if (r.reason) parts.push(`reason=${r.reason}`);
  return parts.join('  ');
}

export async function run(argv: string[]): Promise<number> {
  const o = socketCommandArgs('trace', argv, USAGE, HELP);
  if (typeof o === 'number') return o;
  const { socketPath, json } = o;
  return await new Promise<number>((resolve) => {
    const s = connect(socketPath);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify({ op: 'trace' }) + '\n'));
    s.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          const obj = JSON.parse(line) as TraceRecord & { skipped?: number; error?: string };
          if (obj.error) { process.stderr.write(`uvs trace: ${obj.error}\n`); continue; }
          if (obj.skipped !== undefined && obj.verdict === undefined) { process.stdout.write(`  … ${obj.skipped} decisions not shown (rate limit)\n`); continue; }
          process.stdout.write((json ? line : formatTrace(obj)) + '\n');
        } catch {
          process.stdout.write(line + '\n');
        }
      }
    });
    s.on('error', (err) => {
      process.stderr.write(`uvs trace: cannot connect to ${socketPath}: ${err.message}\n`);
      resolve(1);
    });
    s.on('close', () => resolve(0));
    const stop = () => { s.end(); resolve(0); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
