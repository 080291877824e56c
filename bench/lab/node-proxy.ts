// The minimal Node `net` proxy peer for `uvs bench lab`: a TCP listener on the VIP that opens one
// connection to the next real server (round robin) per client connection and pipes both ways.
// Usage: node node-proxy.js --listen IP:PORT --to IP:PORT[,IP:PORT...] [--ready FILE]

import { createServer, connect } from 'node:net';
import { writeFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function hostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

function main(): void {
  const argv = process.argv.slice(2);
  const listen = hostPort(arg(argv, '--listen') ?? '0.0.0.0:80');
  const to = (arg(argv, '--to') ?? '').split(',').filter(Boolean).map(hostPort);
  if (to.length === 0) throw new Error('--to IP:PORT[,IP:PORT...] is required');
  let next = 0;
  const srv = createServer({ noDelay: true }, (c) => {
    const t = to[next]!;
    next = (next + 1) % to.length;
    const s = connect({ host: t.host, port: t.port, noDelay: true });
    c.pipe(s).pipe(c);
    const kill = (): void => { c.destroy(); s.destroy(); };
    c.on('error', kill);
    s.on('error', kill);
  });
  srv.listen({ host: listen.host, port: listen.port, backlog: 4096 }, () => {
    const ready = arg(argv, '--ready');
    if (ready) writeFileSync(ready, `${process.pid}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) main();
