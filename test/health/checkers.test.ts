// Each checker against real servers on 127.0.0.1 (ports opened here), parsed from
// keepalived.conf text so option handling is exercised too.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkerKind } from '../../src/health/registry.js';
import type { CheckResult, ParsedChecker } from '../../src/health/checker.js';
import { confNodes, ctx } from './helpers.js';

function parse(text: string, port: number, over: Parameters<typeof ctx>[1] = {}): ParsedChecker {
  const problems: string[] = [];
  const node = confNodes(text)[0];
  const kind = checkerKind(node.keyword);
  if (!kind) throw new Error(`no kind ${node.keyword}`);
  const pc = kind.parse(node, ctx(problems, { rsPort: port, ...over }));
  expect(problems).toEqual([]);
  if (!pc) throw new Error('not parsed');
  return pc;
}

function run(pc: ParsedChecker): Promise<CheckResult> {
  return pc.checker.run(new AbortController().signal);
}

function listenTcp(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createTcpServer((c) => c.destroy());
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

function port(s: { address(): AddressInfo | string | null }): number {
  return (s.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = await listenTcp();
  const p = port(s);
  await new Promise((r) => s.close(r));
  return p;
}

describe('TCP_CHECK', () => {
  it('is up against a listener and down against a closed port', async () => {
    const s = await listenTcp();
    try {
      const up = await run(parse('TCP_CHECK {\n connect_timeout 2\n}', port(s)));
      expect(up).toMatchObject({ ok: true, reason: 'connected' });
      const closed = await freePort();
      const down = await run(parse(`TCP_CHECK {\n connect_port ${closed}\n}`, port(s)));
      expect(down).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
    } finally {
      s.close();
    }
  });

  it('honours bindto and connect_ip', async () => {
    let remote = '';
    const s = createTcpServer((c) => {
      remote = c.remoteAddress ?? '';
      c.destroy();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    try {
      const res = await run(parse(`TCP_CHECK {\n connect_ip 127.0.0.1\n bindto 127.0.0.2\n}`, port(s), { rsAddr: '10.9.9.9' }));
      expect(res.ok).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(remote).toBe('127.0.0.2');
    } finally {
      s.close();
    }
  });

  it('stops at once when aborted', async () => {
    const s = await listenTcp();
    try {
      const ac = new AbortController();
      ac.abort();
      const res = await parse('TCP_CHECK {\n}', port(s)).checker.run(ac.signal);
      expect(res).toMatchObject({ ok: false, reason: 'aborted' });
    } finally {
      s.close();
    }
  });
});

describe('HTTP_GET', () => {
  let server: HttpServer;
  let p = 0;
  const hosts: string[] = [];
  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      hosts.push(req.headers.host ?? '');
      if (req.url === '/ok') res.end('hello');
      else if (req.url === '/503') {
        res.statusCode = 503;
        res.end('busy');
      } else if (req.url === '/moved') {
        res.statusCode = 301;
        res.setHeader('Location', '/ok');
        res.end();
      } else if (req.url === '/big') res.end(Buffer.alloc(300_000, 0x61));
      else {
        res.statusCode = 404;
        res.end('no');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    p = port(server);
  });
  afterAll(() => {
    server.close();
  });

  const md5 = (b: string | Buffer) => createHash('md5').update(b).digest('hex');

  it('accepts 200 by default and rejects a wrong status code', async () => {
    expect(await run(parse('HTTP_GET {\n url {\n path /ok\n }\n}', p))).toMatchObject({ ok: true });
    expect(await run(parse('HTTP_GET {\n url {\n path /503\n }\n}', p))).toMatchObject({ ok: false, reason: '/503: HTTP status 503' });
    expect(await run(parse('HTTP_GET {\n url {\n path /ok\n status_code 201\n }\n}', p))).toMatchObject({ ok: false, reason: '/ok: HTTP status 200' });
  });

  it('status_code takes codes and ranges', async () => {
    expect(await run(parse('HTTP_GET {\n url {\n path /503\n status_code 200 500-599\n }\n}', p))).toMatchObject({ ok: true });
    expect(await run(parse('HTTP_GET {\n url {\n path /moved\n status_code 300-399\n }\n}', p))).toMatchObject({ ok: true });
    expect(await run(parse('HTTP_GET {\n url {\n path /moved\n }\n}', p))).toMatchObject({ ok: false });
  });

  it('checks the MD5 digest of the body, as genhash prints it', async () => {
    expect(await run(parse(`HTTP_GET {\n url {\n path /ok\n digest ${md5('hello')}\n }\n}`, p))).toMatchObject({ ok: true });
    expect(await run(parse(`HTTP_GET {\n url {\n path /big\n digest ${md5(Buffer.alloc(300_000, 0x61))}\n }\n}`, p))).toMatchObject({ ok: true });
    const bad = await run(parse(`HTTP_GET {\n url {\n path /ok\n digest ${md5('hullo')}\n }\n}`, p));
    expect(bad.ok).toBe(false);
    expect(bad.reason).toContain('digest mismatch');
  });

  it('every url block must pass; virtualhost sets Host:', async () => {
    hosts.length = 0;
    const two = 'HTTP_GET {\n virtualhost www.example.test\n url {\n path /ok\n }\n url {\n path /503\n virtualhost other.test\n }\n}';
    const res = await run(parse(two, p));
    expect(res).toMatchObject({ ok: false, reason: '/503: HTTP status 503' });
    expect(hosts).toEqual(['www.example.test', 'other.test']);
    hosts.length = 0;
    await run(parse('HTTP_GET {\n url {\n path /ok\n }\n}', p));
    expect(hosts).toEqual([`127.0.0.1:${p}`]);
  });

  it('fails on a closed port and on a server that never answers', async () => {
    const closed = await freePort();
    expect(await run(parse('HTTP_GET {\n url {\n path /ok\n }\n}', closed))).toMatchObject({ ok: false, reason: '/ok: ECONNREFUSED' });
    const mute = createTcpServer(() => {});
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    try {
      const res = await run(parse('HTTP_GET {\n connect_timeout 0.3\n url {\n path /ok\n }\n}', port(mute)));
      expect(res).toMatchObject({ ok: false, reason: '/ok: read timeout' });
    } finally {
      mute.close();
    }
  });
});

describe('SSL_GET', () => {
  it('checks a local https server with a self-signed certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvs-health-tls-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=uvs-test',
      ], { stdio: 'ignore' });
      const names: string[] = [];
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
        names.push((req.socket as import('node:tls').TLSSocket & { servername?: string | false }).servername || '');
        res.statusCode = req.url === '/health' ? 200 : 500;
        res.end('tls body');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const digest = createHash('md5').update('tls body').digest('hex');
        const ok = await run(parse(`SSL_GET {\n url {\n path /health\n digest ${digest}\n }\n}`, port(server)));
        expect(ok).toMatchObject({ ok: true });
        const sni = await run(parse('SSL_GET {\n virtualhost www.uvs.test\n enable_sni\n url {\n path /health\n }\n}', port(server)));
        expect(sni.ok).toBe(true);
        expect(names).toEqual(['', 'www.uvs.test']);
        const bad = await run(parse('SSL_GET {\n url {\n path /other\n }\n}', port(server)));
        expect(bad).toMatchObject({ ok: false, reason: '/other: HTTP status 500' });
        // Plain HTTP against the TLS port fails.
        const plain = await run(parse('HTTP_GET {\n connect_timeout 1\n url {\n path /health\n }\n}', port(server)));
        expect(plain.ok).toBe(false);
      } finally {
        server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MISC_CHECK', () => {
  it('exit 0 is up, other codes down; misc_dynamic maps 2..255 to weight code-2', async () => {
    expect(await run(parse('MISC_CHECK {\n misc_path "exit 0"\n}', 0))).toMatchObject({ ok: true, weight: null });
    expect(await run(parse('MISC_CHECK {\n misc_path "exit 1"\n}', 0))).toMatchObject({ ok: false, reason: 'exit 1' });
    expect(await run(parse('MISC_CHECK {\n misc_path "exit 7"\n}', 0))).toMatchObject({ ok: false, reason: 'exit 7' });
    expect(await run(parse('MISC_CHECK {\n misc_path "exit 7"\n misc_dynamic\n}', 0))).toMatchObject({ ok: true, weight: 5, exitCode: 7 });
    expect(await run(parse('MISC_CHECK {\n misc_path "exit 0"\n misc_dynamic\n}', 0))).toMatchObject({ ok: true, weight: -1, exitCode: 0 });
    expect(await run(parse('MISC_CHECK {\n misc_path "exit 1"\n misc_dynamic\n}', 0))).toMatchObject({ ok: false });
  });

  it('passes the script its arguments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvs-health-misc-'));
    try {
      const script = join(dir, 'check.sh');
      writeFileSync(script, '#!/bin/sh\necho "$#:$1:$2" > "$(dirname "$0")/args"\nexit 0\n', { mode: 0o755 });
      expect(await run(parse(`MISC_CHECK {\n misc_path "${script} 10.0.0.11 80"\n}`, 0))).toMatchObject({ ok: true });
      expect(readFileSync(join(dir, 'args'), 'utf8').trim()).toBe('2:10.0.0.11:80');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('misc_timeout kills a hung script (its whole process group) and fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvs-health-misc-'));
    try {
      const pidFile = join(dir, 'pid');
      const t0 = Date.now();
      const res = await run(parse(`MISC_CHECK {\n misc_path "sleep 30 & echo $! > ${pidFile}; wait"\n misc_timeout 1\n}`, 0));
      expect(res).toMatchObject({ ok: false, hung: true });
      expect(res.reason).toContain('timed out');
      expect(Date.now() - t0).toBeLessThan(4000);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('UDP_CHECK', () => {
  let echo: UdpSocket;
  let mute: UdpSocket;
  beforeAll(async () => {
    echo = createSocket('udp4');
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('OK'), m]), r.port, r.address));
    mute = createSocket('udp4');
    await Promise.all([new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r())), new Promise<void>((r) => mute.bind(0, '127.0.0.1', () => r()))]);
  });
  afterAll(() => {
    echo.close();
    mute.close();
  });

  it('a reply is a success; require_reply checks its bytes', async () => {
    const p = port(echo);
    expect(await run(parse('UDP_CHECK {\n payload 6869\n}', p))).toMatchObject({ ok: true, reason: 'reply' });
    expect(await run(parse('UDP_CHECK {\n payload 6869\n require_reply 4f4b6869\n}', p))).toMatchObject({ ok: true });
    expect(await run(parse('UDP_CHECK {\n payload 6869\n require_reply 4f4b7878\n}', p))).toMatchObject({ ok: false, reason: 'reply data mismatch' });
    expect(await run(parse('UDP_CHECK {\n payload 6869\n require_reply 4f4b\n max_reply_length 3\n}', p))).toMatchObject({ ok: false, reason: 'reply length 4' });
    expect(await run(parse('UDP_CHECK {\n payload 6869\n require_reply\n max_reply_length 3\n}', p))).toMatchObject({ ok: true });
  });

  it('ICMP port unreachable is a failure; silence is a success unless require_reply', async () => {
    const closed = createSocket('udp4');
    await new Promise<void>((r) => closed.bind(0, '127.0.0.1', () => r()));
    const cp = port(closed);
    closed.close();
    expect(await run(parse('UDP_CHECK {\n payload 00\n connect_timeout 1\n}', cp))).toMatchObject({ ok: false, reason: 'ICMP port unreachable' });
    expect(await run(parse('UDP_CHECK {\n connect_timeout 0.2\n}', port(mute)))).toMatchObject({ ok: true });
    expect(await run(parse('UDP_CHECK {\n connect_timeout 0.2\n require_reply\n}', port(mute)))).toMatchObject({ ok: false, reason: 'no reply' });
  });
});

describe('DNS_CHECK', () => {
  function responder(rcode: number, queries: Buffer[]): Promise<UdpSocket> {
    const s = createSocket('udp4');
    s.on('message', (q, r) => {
      queries.push(q);
      // Echo the question with QR|RD|RA and the rcode; first a datagram with a wrong id.
      const wrong = Buffer.from(q);
      wrong.writeUInt16BE((q.readUInt16BE(0) + 1) & 0xffff, 0);
      wrong.writeUInt16BE(0x8180, 2);
      s.send(wrong, r.port, r.address);
      const a = Buffer.from(q);
      a.writeUInt16BE(0x8180 | rcode, 2);
      s.send(a, r.port, r.address);
    });
    return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
  }

  it('RCODE 0 is up, another RCODE or no server is down; the query is as keepalived builds it', async () => {
    const queries: Buffer[] = [];
    const good = await responder(0, queries);
    const bad = await responder(2, []);
    try {
      expect(await run(parse('DNS_CHECK {\n type A\n name www.example.test\n}', port(good)))).toMatchObject({ ok: true });
      const q = queries[0];
      expect(q.readUInt16BE(2)).toBe(0x0100);
      expect(q.readUInt16BE(4)).toBe(1);
      expect(q.subarray(12).toString('latin1')).toBe('\x03www\x07example\x04test\x00\x00\x01\x00\x01');
      expect(await run(parse('DNS_CHECK {\n}', port(good)))).toMatchObject({ ok: true });
      expect(queries[1].subarray(12).toString('hex')).toBe('0000060001');
      expect(await run(parse('DNS_CHECK {\n}', port(bad)))).toMatchObject({ ok: false, reason: 'DNS rcode 2' });
      const closed = await freePort();
      expect(await run(parse('DNS_CHECK {\n connect_timeout 1\n}', closed))).toMatchObject({ ok: false });
    } finally {
      good.close();
      bad.close();
    }
  });
});

describe('IPv6', () => {
  it('TCP_CHECK and PING_CHECK reach ::1', async () => {
    const s = createTcpServer((c) => c.destroy());
    await new Promise<void>((r) => s.listen(0, '::1', () => r()));
    try {
      expect(await run(parse('TCP_CHECK {\n}', port(s), { af: 6, rsAddr: '::1' }))).toMatchObject({ ok: true });
      expect(await run(parse('PING_CHECK {\n connect_timeout 2\n}', 0, { af: 6, rsAddr: '::1' }))).toMatchObject({ ok: true, reason: 'echo reply' });
      expect(await run(parse('TCP_CHECK {\n connect_ip 127.0.0.1\n}', port(s), { af: 6, rsAddr: '::1' }))).toMatchObject({ ok: false });
    } finally {
      s.close();
    }
  });
});

describe('PING_CHECK', () => {
  it('127.0.0.1 answers', async () => {
    expect(await run(parse('PING_CHECK {\n connect_timeout 2\n}', 0, { rsAddr: '127.0.0.1' }))).toMatchObject({ ok: true, reason: 'echo reply' });
    // Several at once share one raw socket.
    const all = await Promise.all([1, 2, 3].map(() => run(parse('PING_CHECK {\n}', 0, { rsAddr: '127.0.0.1' }))));
    expect(all.every((r) => r.ok)).toBe(true);
  });
});
