// Runs wrk inside the lab's client namespace and reads its summary: requests/s, latency p50/p99
// (from --latency), errors. Bounded by wrk's own -d plus a margin.

import { run } from '../../netns-lab/exec.js';

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
}

export interface WrkOptions {
  netns: string;
  url: string;
  durationS: number;
  threads: number;
  connections: number;
  close: boolean;
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  if (unit === 'us') return n / 1000;
  if (unit === 'ms') return n;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return NaN;
}

export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /\n\s+50%\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  const p99 = /\n\s+99%\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const reqs = /(\d+) requests in/.exec(out);
  return {
    rps: rps ? Number(rps[1]) : 0,
    p50Ms: p50 ? toMs(p50[1]!, p50[2]!) : NaN,
    p99Ms: p99 ? toMs(p99[1]!, p99[2]!) : NaN,
    errors: sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0,
    non2xx: non ? Number(non[1]) : 0,
    requests: reqs ? Number(reqs[1]) : 0,
  };
}

export function runWrk(o: WrkOptions): WrkResult {
  const args = ['netns', 'exec', o.netns, 'wrk', `-t${o.threads}`, `-c${o.connections}`, `-d${o.durationS}s`, '--latency', '--timeout', '2s'];
  if (o.close) args.push('-H', 'Connection: close');
  args.push(o.url);
  const r = run('ip', args, { timeoutMs: (o.durationS + 20) * 1000 });
  if (r.code !== 0) throw new Error(`wrk failed (${r.code}): ${(r.stderr || r.stdout).trim()}`);
  return parseWrk(r.stdout);
}
