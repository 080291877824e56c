// The lab's client-side probe, run inside the client namespace by the demo, the lab tests and
// `uvs lab check`: a bounded series of requests, one JSON document on stdout with what answered.
//   node probe.js http URL [--count N] [--parallel P] [--keepalive] [--timeout MS]
//       one HTTP GET per new connection (or reused with --keepalive); reports X-Real-Server,
//       X-Client, X-Local and the local port of each request
//   node probe.js tcp HOST PORT [--count N] [--bytes B]   TCP echo: send B bytes, expect them back
//   node probe.js udp HOST PORT [--count N] [--bytes B]   UDP echo: reply must come from HOST:PORT
// Every request has a timeout; failures are reported per request, never thrown.

import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface ProbeResult {
  i: number;
  ok: boolean;
  server: string | null;
  client: string | null;
  local: string | null;
  localPort: number | null;
  from: string | null;
  ms: number;
  error: string | null;
}

function blank(i: number): ProbeResult {
  return { i, ok: false, server: null, client: null, local: null, localPort: null, from: null, ms: 0, error: null };
}

function httpOnce(i: number, url: string, agent: Agent | false, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const r = blank(i);
    const t0 = process.hrtime.bigint();
    let done = false;
    const finish = (err: string | null): void => {
      if (done) return;
      done = true;
      r.ms = Number(process.hrtime.bigint() - t0) / 1e6;
      r.error = err;
      r.ok = err === null;
      resolve(r);
    };
    const req = request(url, { agent, timeout: timeoutMs, headers: agent ? {} : { connection: 'close' } }, (res) => {
      r.server = (res.headers['x-real-server'] as string | undefined) ?? null;
      r.client = (res.headers['x-client'] as string | undefined) ?? null;
      r.local = (res.headers['x-local'] as string | undefined) ?? null;
      r.localPort = res.socket.localPort ?? null;
      r.from = res.socket.remoteAddress ?? null;
      res.resume();
      res.on('end', () => finish(res.statusCode === 200 ? null : `HTTP ${res.statusCode ?? '?'}`));
      res.on('error', (e) => finish(e.message));
    });
    req.on('timeout', () => { req.destroy(new Error(`timeout after ${timeoutMs} ms`)); });
    req.on('error', (e) => finish(e.message));
    req.end();
  });
}

function tcpOnce(i: number, host: string, port: number, bytes: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const r = blank(i);
    const t0 = process.hrtime.bigint();
    const payload = Buffer.alloc(bytes);
    for (let k = 0; k < bytes; k++) payload[k] = (k * 7 + i) & 0xff;
    const chunks: Buffer[] = [];
    let got = 0;
    let done = false;
    const sock = connect({ host, port });
    const finish = (err: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      r.ms = Number(process.hrtime.bigint() - t0) / 1e6;
      r.error = err;
      r.ok = err === null;
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(`timeout after ${timeoutMs} ms (${got}/${bytes} bytes back)`), timeoutMs);
    sock.on('connect', () => {
      r.localPort = sock.localPort ?? null;
      r.from = sock.remoteAddress ?? null;
      sock.write(payload);
    });
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= bytes) finish(Buffer.concat(chunks).subarray(0, bytes).equals(payload) ? null : 'echo differs from what was sent');
    });
    sock.on('error', (e) => finish(e.message));
    sock.on('close', () => finish(got >= bytes ? null : `closed after ${got}/${bytes} bytes`));
  });
}

function udpOnce(i: number, host: string, port: number, bytes: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const r = blank(i);
    const t0 = process.hrtime.bigint();
    const payload = Buffer.alloc(bytes);
    for (let k = 0; k < bytes; k++) payload[k] = (k * 13 + i) & 0xff;
    const sock = createSocket('udp4');
    let done = false;
    const finish = (err: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      r.ms = Number(process.hrtime.bigint() - t0) / 1e6;
      r.error = err;
      r.ok = err === null;
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish(`no reply within ${timeoutMs} ms`), timeoutMs);
    sock.on('message', (msg, rinfo) => {
      r.from = `${rinfo.address}:${rinfo.port}`;
      if (rinfo.address !== host || rinfo.port !== port) finish(`reply from ${r.from}, not from ${host}:${port}`);
      else finish(msg.equals(payload) ? null : 'echo differs from what was sent');
    });
    sock.on('error', (e) => finish(e.message));
    sock.bind(0, () => {
      r.localPort = sock.address().port;
      sock.send(payload, port, host);
    });
  });
}

function opt(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(argv[i + 1]);
  return Number.isFinite(n) && n >= 0 ? n : dflt;
}

export async function probe(argv: string[]): Promise<{ kind: string; results: ProbeResult[]; perServer: Record<string, number>; failures: number }> {
  const [kind, a, b] = argv;
  const count = Math.min(opt(argv, '--count', 1), 100_000);
  const parallel = Math.max(1, Math.min(opt(argv, '--parallel', 1), 256));
  const timeoutMs = opt(argv, '--timeout', 2000);
  const bytes = Math.min(opt(argv, '--bytes', 64), 1_000_000);
  let one: (i: number) => Promise<ProbeResult>;
  let agent: Agent | undefined;
  if (kind === 'http' && a) {
    agent = argv.includes('--keepalive') ? new Agent({ keepAlive: true, maxSockets: parallel }) : undefined;
    one = (i) => httpOnce(i, a, agent ?? false, timeoutMs);
  } else if (kind === 'tcp' && a && b) {
    one = (i) => tcpOnce(i, a, Number(b), bytes, timeoutMs);
  } else if (kind === 'udp' && a && b) {
    one = (i) => udpOnce(i, a, Number(b), bytes, timeoutMs);
  } else {
    throw new Error('usage: probe http URL | tcp HOST PORT | udp HOST PORT [--count N] [--parallel P] [--keepalive] [--bytes B] [--timeout MS]');
  }
  const results: ProbeResult[] = new Array<ProbeResult>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, () => worker()));
  agent?.destroy();
  const perServer: Record<string, number> = {};
  for (const r of results) if (r.server) perServer[r.server] = (perServer[r.server] ?? 0) + 1;
  return { kind, results, perServer, failures: results.filter((r) => !r.ok).length };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) {
  probe(process.argv.slice(2)).then(
    (out) => { process.stdout.write(JSON.stringify(out) + '\n'); },
    (e: unknown) => { process.stderr.write(`probe: ${e instanceof Error ? e.message : String(e)}\n`); process.exitCode = 2; },
  );
}
