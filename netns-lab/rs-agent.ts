// The lab's real-server agent: one node process per real server, started inside its namespace.
// It listens on every address (so both the RIP and, in DR/TUN, the VIP on lo answer):
//   HTTP on 80, 443 and 8080: `GET /` answers "<name> <rip>\n"; `GET /size/N` answers N bytes
//       (the first line names the server); `GET /stats` answers this agent's counters as JSON.
//       Every answer carries X-Real-Server, X-Client (address:port the server saw) and X-Local
//       (the address the client reached: the VIP in DR/TUN, the RIP in NAT).
//   TCP echo on 7 and UDP echo on 7: the bytes sent, back unchanged (UDP answered from the
//       address it was sent to: the agent binds each local address, the VIP on lo included).
// Usage: node rs-agent.js --name rs1 --addr 10.0.0.11 [--ready FILE]

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { writeFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const AGENT_HTTP_PORTS = [80, 443, 8080] as const;
export const AGENT_ECHO_PORT = 7;
const MAX_SIZE = 16 * 1024 * 1024;

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export interface AgentCounters {
  http: number;
  tcpEcho: number;
  udpEcho: number;
}

function localIPv4(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') out.push(a.address);
  }
  return out;
}

export async function startAgent(name: string, addr: string, host = '0.0.0.0'): Promise<() => Promise<void>> {
  const counters: AgentCounters = { http: 0, tcpEcho: 0, udpEcho: 0 };
  const root = Buffer.from(`${name} ${addr}\n`);
  const sized = new Map<number, Buffer>();
  const bodyOfSize = (n: number): Buffer => {
    let b = sized.get(n);
    if (!b) {
      b = Buffer.alloc(n, 0x2e);
      root.copy(b, 0, 0, Math.min(root.length, n));
      if (n > root.length) b[n - 1] = 0x0a;
      if (sized.size < 64) sized.set(n, b);
    }
    return b;
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    counters.http++;
    const url = req.url ?? '/';
    let body: Buffer;
    let type = 'text/plain';
    if (url === '/' || url === '/index.html') {
      body = root;
    } else if (url.startsWith('/size/')) {
      const n = Number(url.slice(6));
      if (!Number.isInteger(n) || n < 0 || n > MAX_SIZE) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`size must be 0..${MAX_SIZE}\n`);
        return;
      }
      body = bodyOfSize(n);
    } else if (url === '/stats') {
      body = Buffer.from(JSON.stringify({ name, addr, ...counters }) + '\n');
      type = 'application/json';
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'x-real-server': name,
      'x-client': `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`,
      'x-local': req.socket.localAddress ?? '?',
    });
    res.end(body);
  };
  const closers: (() => Promise<void>)[] = [];
  for (const port of AGENT_HTTP_PORTS) {
    const srv = createHttpServer({ keepAliveTimeout: 30_000 }, handler);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ port, host, backlog: 4096 }, () => resolve());
    });
    closers.push(() => new Promise((resolve) => { srv.closeAllConnections(); srv.close(() => resolve()); }));
  }
  const echo = createTcpServer((sock) => {
    counters.tcpEcho++;
    sock.on('error', () => sock.destroy());
    sock.pipe(sock);
  });
  await new Promise<void>((resolve, reject) => {
    echo.once('error', reject);
    echo.listen({ port: AGENT_ECHO_PORT, host, backlog: 1024 }, () => resolve());
  });
  closers.push(() => new Promise((resolve) => echo.close(() => resolve())));
  // UDP echo: one socket per local IPv4 address, not one on 0.0.0.0. A UDP reply from a wildcard
  // socket takes its source address from the route (the RIP), so a DR/TUN client asking the VIP
  // would get the answer from the wrong address and drop it: the socket bound to the VIP (on lo)
  // answers from the VIP.
  for (const local of host === '0.0.0.0' ? localIPv4() : [host]) {
    const udp = createSocket('udp4');
    udp.on('message', (msg, rinfo) => {
      counters.udpEcho++;
      udp.send(msg, rinfo.port, rinfo.address);
    });
    udp.on('error', () => { /* a send error (e.g. no route) is not fatal to the agent */ });
    await new Promise<void>((resolve) => udp.bind(AGENT_ECHO_PORT, local, () => resolve()));
    closers.push(() => new Promise((resolve) => udp.close(() => resolve())));
  }
  return async () => { for (const c of closers) await c(); };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const name = arg(argv, '--name');
  const addr = arg(argv, '--addr') ?? '?';
  const ready = arg(argv, '--ready');
  if (!name) {
    process.stderr.write('usage: rs-agent --name NAME --addr RIP [--ready FILE]\n');
    process.exit(2);
  }
  const stop = await startAgent(name, addr);
  const bye = (): void => { void stop().finally(() => process.exit(0)); };
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
  process.stdout.write(`rs-agent ${name} (${addr}): http ${AGENT_HTTP_PORTS.join(',')}, tcp+udp echo ${AGENT_ECHO_PORT}\n`);
  if (ready) writeFileSync(ready, `${process.pid}\n`);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) {
  main().catch((e: unknown) => {
    process.stderr.write(`rs-agent: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
