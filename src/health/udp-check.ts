// UDP_CHECK (keepalived/check/check_udp.c): send `payload` (hex, default empty) in one datagram
// from a connected UDP socket to connect_ip:connect_port. An ICMP port unreachable (seen as
// ECONNREFUSED on the connected socket) is a failure. When `require_reply HEX` gives data, a
// reply is judged against min_reply_length/max_reply_length (default 0..255) and its first
// bytes; otherwise any reply passes. No reply within connect_timeout is a success, unless require_reply is set.
// Defaults: retry 1, delay_before_retry 1 s.

import { createSocket, type Socket } from 'node:dgram';
import type { ConfNode } from '../model/keepalived.js';
import { failResult, okResult, type CheckResult, type Checker, type CheckerContext, type CheckerKind, type ConnectOpts, type ParsedChecker } from './checker.js';
import { parseCommon, readUnsigned, reportUnknown } from './options.js';

export interface UdpCheckOpts {
  payload: Buffer;
  requireReply: boolean;
  replyData: Buffer;
  minReplyLen: number;
  maxReplyLen: number;
}

export class UdpCheck implements Checker {
  readonly type = 'UDP_CHECK';
  readonly target: string;
  readonly timeoutMs: number;
  readonly co: ConnectOpts;
  readonly opts: UdpCheckOpts;

  constructor(co: ConnectOpts, opts: UdpCheckOpts) {
    this.co = co;
    this.opts = opts;
    this.target = co.af === 6 ? `udp [${co.host}]:${co.port}` : `udp ${co.host}:${co.port}`;
    this.timeoutMs = co.timeoutMs;
  }

  /** check_udp_reply(): false when the reply is acceptable. */
  replyBad(data: Buffer): string {
    const o = this.opts;
    if (data.length < o.minReplyLen || data.length > o.maxReplyLen) return `reply length ${data.length}`;
    const n = Math.min(data.length, o.replyData.length);
    for (let i = 0; i < n; i++) if (data[i] !== o.replyData[i]) return 'reply data mismatch';
    return '';
  }

  run(signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve) => {
      const sock: Socket = createSocket(this.co.af === 6 ? 'udp6' : 'udp4');
      let done = false;
      const finish = (r: CheckResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        try {
          sock.close();
        } catch {
          // Not yet bound or already closed.
        }
        resolve(r);
      };
      const onAbort = (): void => finish(failResult('aborted'));
      const timer = setTimeout(() => {
        if (this.opts.requireReply) finish(failResult('no reply'));
        else finish(okResult('no ICMP error'));
      }, this.co.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      sock.on('error', (err: NodeJS.ErrnoException) => {
        finish(failResult(err.code === 'ECONNREFUSED' ? 'ICMP port unreachable' : (err.code ?? err.message)));
      });
      sock.on('message', (msg: Buffer) => {
        if (!this.opts.requireReply) {
          finish(okResult('reply'));
          return;
        }
        // As keepalived: lengths and bytes are judged only when require_reply gave data.
        const bad = this.opts.replyData.length ? this.replyBad(msg) : '';
        finish(bad ? failResult(bad) : okResult('reply'));
      });
      const afterBind = (): void => {
        sock.connect(this.co.port, this.co.host, () => {
          if (done) return;
          sock.send(this.opts.payload, (err) => {
            if (err) finish(failResult(`send: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
          });
        });
      };
      if (this.co.bindto || this.co.bindPort) sock.bind({ address: this.co.bindto ?? undefined, port: this.co.bindPort || 0 }, afterBind);
      else afterBind();
    });
  }
}

/** keepalived's read_hex_str() for the plain case: hex digits, spaces ignored. */
function readHex(node: ConfNode, ctx: CheckerContext): Buffer | null {
  const text = node.args.join('').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(text)) {
    ctx.problem(node, `Invalid hex string for UDP_CHECK ${node.keyword}`);
    return null;
  }
  return Buffer.from(text, 'hex');
}

export const udpCheckKind: CheckerKind = {
  keyword: 'UDP_CHECK',
  parse(node: ConfNode, ctx: CheckerContext): ParsedChecker | null {
    const common = parseCommon(node, ctx, { connection: true, defaultRetry: 1, defaultDelayBeforeRetryMs: 1000 });
    const opts: UdpCheckOpts = { payload: Buffer.alloc(0), requireReply: false, replyData: Buffer.alloc(0), minReplyLen: 0, maxReplyLen: 255 };
    const unknown: ConfNode[] = [];
    for (const n of common.rest) {
      switch (n.keyword) {
        case 'payload': {
          if (n.args.length === 0) ctx.problem(n, 'UDP_CHECK payload requires a payload');
          else {
            const b = readHex(n, ctx);
            if (b) opts.payload = b;
          }
          break;
        }
        case 'require_reply': {
          opts.requireReply = true;
          if (n.args.length) {
            const b = readHex(n, ctx);
            if (b) opts.replyData = b;
          }
          break;
        }
        case 'min_reply_length': {
          const v = readUnsigned(n, ctx, 0, 65535);
          if (v !== null) opts.minReplyLen = v;
          break;
        }
        case 'max_reply_length': {
          const v = readUnsigned(n, ctx, 0, 65535);
          if (v !== null) opts.maxReplyLen = v;
          break;
        }
        default:
          unknown.push(n);
      }
    }
    reportUnknown(unknown, node, ctx);
    if (opts.minReplyLen > opts.maxReplyLen) ctx.problem(node, `UDP_CHECK min_reply_length ${opts.minReplyLen} > max_reply_length ${opts.maxReplyLen} - will always fail`);
    return { checker: new UdpCheck(common.connect, opts), timing: common.timing };
  },
};
