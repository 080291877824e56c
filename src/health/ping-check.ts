// PING_CHECK (keepalived/check/check_ping.c): one ICMP echo request to connect_ip (default: the
// real server); healthy when the matching echo reply arrives within connect_timeout. All
// PING_CHECKs share one raw socket per address family (npm raw-socket, needs CAP_NET_RAW),
// opened while probes are outstanding and closed when none are; replies are matched by
// identifier, sequence and source address. Defaults: retry 1, delay_before_retry 1 s.

import raw, { type RawSocket } from 'raw-socket';
import type { ConfNode } from '../model/keepalived.js';
import { failResult, okResult, type CheckResult, type Checker, type CheckerContext, type CheckerKind, type ConnectOpts, type ParsedChecker } from './checker.js';
import { parseCommon, reportUnknown } from './options.js';

const ICMP_ECHO = 8;
const ICMP_ECHOREPLY = 0;
const ICMP6_ECHO = 128;
const ICMP6_ECHOREPLY = 129;
const PAYLOAD = Buffer.from('uvs PING_CHECK  ', 'latin1');

function icmpChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length & 1) sum += buf[buf.length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

interface Pending {
  addr: string;
  resolve: (r: CheckResult) => void;
}

/** One raw ICMP socket per family, shared by every PING_CHECK. */
class Pinger {
  readonly af: 4 | 6;
  readonly ident: number;
  private socket: RawSocket | null = null;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(af: 4 | 6) {
    this.af = af;
    this.ident = process.pid & 0xffff;
  }

  private open(): RawSocket {
    if (this.socket) return this.socket;
    const s = raw.createSocket({
      addressFamily: this.af === 6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
      protocol: this.af === 6 ? raw.Protocol.ICMPv6 : raw.Protocol.ICMP,
    });
    s.on('message', (buf: Buffer, source: string) => this.onMessage(buf, source));
    s.on('error', (err: Error) => {
      for (const [key, p] of this.pending) {
        this.pending.delete(key);
        p.resolve(failResult(`ICMP socket error: ${err.message}`));
      }
      this.closeIfIdle(true);
    });
    this.socket = s;
    return s;
  }

  private closeIfIdle(force = false): void {
    if (this.socket && (force || this.pending.size === 0)) {
      const s = this.socket;
      this.socket = null;
      try {
        s.close();
      } catch {
        // Already closed.
      }
    }
  }

  private onMessage(buf: Buffer, source: string): void {
    // IPv4 raw sockets deliver the IP header; IPv6 ones do not.
    const off = this.af === 4 ? (buf[0] & 0x0f) * 4 : 0;
    if (buf.length < off + 8) return;
    const type = buf[off];
    if (type !== (this.af === 4 ? ICMP_ECHOREPLY : ICMP6_ECHOREPLY)) return;
    if (buf.readUInt16BE(off + 4) !== this.ident) return;
    const seq = buf.readUInt16BE(off + 6);
    const p = this.pending.get(seq);
    if (!p || p.addr !== source) return;
    this.pending.delete(seq);
    p.resolve(okResult('echo reply'));
    this.closeIfIdle();
  }

  ping(addr: string, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve) => {
      let sock: RawSocket;
      try {
        sock = this.open();
      } catch (err) {
        resolve(failResult(`cannot open ICMP socket: ${(err as Error).message}`));
        return;
      }
      let seq = 0;
      for (let i = 0; i < 0x10000; i++) {
        this.seq = (this.seq + 1) & 0xffff;
        if (!this.pending.has(this.seq)) break;
      }
      seq = this.seq;
      const pkt = Buffer.alloc(8 + PAYLOAD.length);
      pkt[0] = this.af === 4 ? ICMP_ECHO : ICMP6_ECHO;
      pkt.writeUInt16BE(this.ident, 4);
      pkt.writeUInt16BE(seq, 6);
      PAYLOAD.copy(pkt, 8);
      // The kernel fills the ICMPv6 checksum (it needs the pseudo-header).
      if (this.af === 4) pkt.writeUInt16BE(icmpChecksum(pkt), 2);
      let done = false;
      const finish = (r: CheckResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.pending.get(seq)?.resolve === finish) this.pending.delete(seq);
        this.closeIfIdle();
        resolve(r);
      };
      const onAbort = (): void => finish(failResult('aborted'));
      const timer = setTimeout(() => finish(failResult('no echo reply')), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(seq, { addr, resolve: finish });
      sock.send(pkt, 0, pkt.length, addr, null, (err) => {
        if (err) finish(failResult(`send: ${err.message}`));
      });
    });
  }
}

const pingers: { v4: Pinger | null; v6: Pinger | null } = { v4: null, v6: null };

function pingerFor(af: 4 | 6): Pinger {
  if (af === 6) return (pingers.v6 ??= new Pinger(6));
  return (pingers.v4 ??= new Pinger(4));
}

export class PingCheck implements Checker {
  readonly type = 'PING_CHECK';
  readonly target: string;
  readonly timeoutMs: number;
  readonly co: ConnectOpts;

  constructor(co: ConnectOpts) {
    this.co = co;
    this.target = co.host;
    this.timeoutMs = co.timeoutMs;
  }

  run(signal: AbortSignal): Promise<CheckResult> {
    return pingerFor(this.co.af).ping(this.co.host, this.co.timeoutMs, signal);
  }
}

export const pingCheckKind: CheckerKind = {
  keyword: 'PING_CHECK',
  parse(node: ConfNode, ctx: CheckerContext): ParsedChecker | null {
    const common = parseCommon(node, ctx, { connection: true, defaultRetry: 1, defaultDelayBeforeRetryMs: 1000 });
    reportUnknown(common.rest, node, ctx);
    return { checker: new PingCheck(common.connect), timing: common.timing };
  },
};
