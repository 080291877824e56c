// `uvs status [--socket PATH] [--json]`: what a running `uvs run` is doing, from its control
// socket ({"op":"status"}): where it runs, what it forwarded, what it dropped and why, and its
// neighbour cache. The counters are the same ones the Prometheus endpoint serves (--metrics); this
// is the view for a person at a terminal, e.g. to see `no_route` drops after a real server moved.

import type { StatusReply } from '../../control/protocol.js';
import { request } from '../uvsadm.js';
import { formatHelp } from '../help.js';
import { socketCommandArgs, SOCKET_BOOLEAN_FLAGS, SOCKET_HELP, SOCKET_VALUE_FLAGS } from '../socket-options.js';

export const USAGE = 'Usage: uvs status [--socket PATH] [--json]';

/** The options run() accepts: with a value, and without. */
export const STATUS_VALUE_FLAGS = SOCKET_VALUE_FLAGS;
export const STATUS_BOOLEAN_FLAGS = SOCKET_BOOLEAN_FLAGS;

export const HELP = formatHelp(USAGE, [
  { flag: '--socket PATH', text: SOCKET_HELP },
  { flag: '--json', text: 'print the daemon\'s status object as JSON (default: a summary for people)' },
], ['Counters count from the start of `uvs run`; `uvsadm -Z` zeroes the per-service ones, not these.']);

/** "12 s", "3 min 4 s", "2 h 5 min", "1 d 3 h". */
export function formatUptime(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** `label value` pairs on one line, in the order given; a counter the daemon did not send is 0. */
function pairs(c: StatusReply['counters'], entries: ReadonlyArray<readonly [label: string, counter: string]>): string {
  return entries.map(([label, k]) => `${label} ${typeof c[k] === 'number' ? c[k] : 0}`).join('  ');
}

/** The summary `uvs status` prints. */
export function formatStatus(st: StatusReply): string {
  const c = st.counters;
  const lines: string[] = [];
  const ifaces = st.insideIface ? `${st.iface} (outside) and ${st.insideIface} (inside)` : st.iface;
  lines.push(`uvs run pid ${st.pid}, up ${formatUptime(st.uptimeS)}: ${st.io}${st.io === 'afpacket' ? ` (${st.mode})` : ''} on ${ifaces}, ${st.services} virtual service${st.services === 1 ? '' : 's'}`);
  for (const p of st.ports) lines.push(`  port ${p.ifname}: mac ${p.mac}, mtu ${p.mtu}`);
  lines.push('');
  lines.push(`frames      ${pairs(c, [['rx', 'rx'], ['tx', 'tx'], ['batches', 'batches']])}`);
  const verdicts = Object.entries(c.verdicts ?? {}).filter(([, n]) => n > 0);
  lines.push(`verdicts    ${verdicts.length ? verdicts.map(([k, n]) => `${k} ${n}`).join('  ') : 'none yet'}`);
  const drops = Object.entries(c.drops ?? {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  lines.push(`drops       ${drops.length ? drops.map(([k, n]) => `${k} ${n}`).join('  ') : 'none'}`);
  lines.push(`io drops    ${pairs(c, [['kernel', 'kernelDrops'], ['tx', 'txDrops'], ['oversize', 'oversize'], ['held_lost', 'heldLost']])}`);
  if (typeof c.kernelDrops === 'number' && c.kernelDrops > 0 && st.io === 'afpacket') {
    lines.push('            (kernel: bursts overflowed the rx ring while the worker was busy; `uvs run --ring-frames N` gives them more room)');
  }
  lines.push(`arp sent    ${pairs(c, [['requests', 'arpSent'], ['gratuitous', 'garpSent']])}`);
  lines.push(`neigh cache ${pairs(c, [['misses', 'neigh_misses'], ['probes', 'neigh_probes'], ['learnt', 'neigh_learnt'], ['failed', 'neigh_failed'], ['held', 'neigh_held'], ['released', 'neigh_released'], ['hold_drops', 'neigh_holdDrops'], ['table_full', 'neigh_tableFull']])}`);
  lines.push('');
  if (st.neighbours.length === 0) {
    lines.push('neighbours: none');
  } else {
    lines.push(`neighbours (${st.neighbours.length}):`);
    const w = Math.max(...st.neighbours.map((n) => n.ip.length));
    for (const n of st.neighbours) {
      const expiry = n.expiresInMs === undefined ? '' : `  expires in ${(n.expiresInMs / 1000).toFixed(1)} s`;
      lines.push(`  ${n.ip.padEnd(w)}  ${n.mac}  ${n.state}${expiry}`);
    }
  }
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const o = socketCommandArgs('status', argv, USAGE, HELP);
  if (typeof o === 'number') return o;
  const { socketPath, json } = o;
  let st: StatusReply;
  try {
    st = await request<StatusReply>(socketPath, { op: 'status' }, 5000);
  } catch (err) {
    process.stderr.write(`uvs status: no uvs daemon answers on ${socketPath}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  process.stdout.write(json ? JSON.stringify(st, null, 2) + '\n' : formatStatus(st));
  return 0;
}
