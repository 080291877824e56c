// DNS_CHECK (keepalived/check/check_dns.c): send one DNS query over UDP (random id, RD set,
// QDCOUNT 1, QTYPE `type` (default SOA), QCLASS IN, QNAME `name` (default ".")) to
// connect_ip:connect_port (default: the real server). Datagrams with another id, shorter than a
// header, or without QR are ignored; a response with RCODE 0 is a success, any other RCODE, an
// ICMP error or no response within connect_timeout a failure. Defaults: retry 3,
// delay_before_retry = delay_loop.

import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { ConfNode } from '../model/keepalived.js';
import { failResult, okResult, type CheckResult, type Checker, type CheckerContext, type CheckerKind, type ConnectOpts, type ParsedChecker } from './checker.js';
import { parseCommon, reportUnknown } from './options.js';

export const DNS_TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  RRSIG: 46,
  DNSKEY: 48,
};

/** dns_make_query(): header + QNAME labels + QTYPE + QCLASS IN. */
export function makeDnsQuery(id: number, name: string, type: number): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  let len = 12 + 1 + 4;
  for (const l of labels) len += 1 + Buffer.byteLength(l);
  const b = Buffer.alloc(len);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(0x0100, 2); // RD
  b.writeUInt16BE(1, 4);
  let p = 12;
  for (const l of labels) {
    const n = b.write(l, p + 1, 'latin1');
    b[p] = n;
    p += 1 + n;
  }
  b[p++] = 0;
  b.writeUInt16BE(type, p);
  b.writeUInt16BE(1, p + 2);
  return b;
}

export class DnsCheck implements Checker {
  readonly type = 'DNS_CHECK';
  readonly target: string;
  readonly timeoutMs: number;
  readonly co: ConnectOpts;
  readonly qname: string;
  readonly qtype: number;

  constructor(co: ConnectOpts, qname: string, qtype: number) {
    this.co = co;
    this.qname = qname;
    this.qtype = qtype;
    this.target = co.af === 6 ? `dns [${co.host}]:${co.port}` : `dns ${co.host}:${co.port}`;
    this.timeoutMs = co.timeoutMs;
  }

  run(signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve) => {
      const id = randomInt(0x10000);
      const query = makeDnsQuery(id, this.qname, this.qtype);
      const sock = createSocket(this.co.af === 6 ? 'udp6' : 'udp4');
      let done = false;
      const finish = (r: CheckResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        try {
          sock.close();
        } catch {
          // Already closed.
        }
        resolve(r);
      };
      const onAbort = (): void => finish(failResult('aborted'));
      const timer = setTimeout(() => finish(failResult('no DNS response')), this.co.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      sock.on('error', (err: NodeJS.ErrnoException) => finish(failResult(err.code === 'ECONNREFUSED' ? 'ICMP port unreachable' : (err.code ?? err.message))));
      sock.on('message', (msg: Buffer) => {
        if (msg.length < 12) return;
        if (msg.readUInt16BE(0) !== id) return;
        const flags = msg.readUInt16BE(2);
        if (!(flags & 0x8000)) return;
        const rcode = flags & 0x000f;
        finish(rcode === 0 ? okResult('DNS response') : failResult(`DNS rcode ${rcode}`));
      });
      const afterBind = (): void => {
        sock.connect(this.co.port, this.co.host, () => {
          if (done) return;
          sock.send(query, (err) => {
            if (err) finish(failResult(`send: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
          });
        });
      };
      if (this.co.bindto || this.co.bindPort) sock.bind({ address: this.co.bindto ?? undefined, port: this.co.bindPort || 0 }, afterBind);
      else afterBind();
    });
  }
}

export const dnsCheckKind: CheckerKind = {
  keyword: 'DNS_CHECK',
  parse(node: ConfNode, ctx: CheckerContext): ParsedChecker | null {
    const common = parseCommon(node, ctx, { connection: true, defaultRetry: 3, defaultDelayBeforeRetryMs: null });
    let qtype = DNS_TYPES.SOA;
    let qname = '.';
    const unknown: ConfNode[] = [];
    for (const n of common.rest) {
      switch (n.keyword) {
        case 'type': {
          const t = DNS_TYPES[(n.args[0] ?? '').toUpperCase()];
          if (!t) ctx.problem(n, `Unknown DNS check type ${n.args[0] ?? ''} - ignoring`);
          else qtype = t;
          break;
        }
        case 'name': {
          const v = n.args[0] ?? '';
          if (!v || v.length > 253 || v.split('.').some((l) => l.length > 63)) ctx.problem(n, `Invalid DNS check name '${v}'`);
          else qname = v;
          break;
        }
        default:
          unknown.push(n);
      }
    }
    reportUnknown(unknown, node, ctx);
    return { checker: new DnsCheck(common.connect, qname, qtype), timing: common.timing };
  },
};
