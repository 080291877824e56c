// TCP_CHECK (keepalived/check/check_tcp.c): a real server is healthy when a TCP connection to
// connect_ip:connect_port (default: the real server) completes within connect_timeout. The
// connection is closed at once; nothing is sent. Defaults: retry 1, delay_before_retry 1 s.

import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import type { ConfNode } from '../model/keepalived.js';
import { failResult, okResult, type CheckResult, type Checker, type CheckerContext, type CheckerKind, type ConnectOpts, type ParsedChecker } from './checker.js';
import { parseCommon, reportUnknown } from './options.js';

/** Open a TCP connection as the checkers do (bindto/bind_port, timeout, abort). */
export function tcpConnect(co: ConnectOpts, signal: AbortSignal): Promise<{ socket: Socket | null; error: string }> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ socket: null, error: 'aborted' });
      return;
    }
    const socket = netConnect({
      host: co.host,
      port: co.port,
      family: co.af,
      localAddress: co.bindto ?? undefined,
      localPort: co.bindPort || undefined,
    });
    let done = false;
    const finish = (ok: boolean, error: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      socket.on('error', () => {});
      if (ok) resolve({ socket, error: '' });
      else {
        socket.destroy();
        resolve({ socket: null, error });
      }
    };
    const onError = (err: NodeJS.ErrnoException): void => finish(false, err.code ?? err.message);
    const onAbort = (): void => finish(false, 'aborted');
    const timer = setTimeout(() => finish(false, 'connect timeout'), co.timeoutMs);
    socket.once('connect', () => finish(true, ''));
    socket.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const CONNECTED: CheckResult = Object.freeze(okResult('connected'));

export class TcpCheck implements Checker {
  readonly type = 'TCP_CHECK';
  readonly target: string;
  readonly timeoutMs: number;
  readonly co: ConnectOpts;
  private readonly netOpts: NetConnectOpts;

  constructor(co: ConnectOpts) {
    this.co = co;
    this.target = co.af === 6 ? `[${co.host}]:${co.port}` : `${co.host}:${co.port}`;
    this.timeoutMs = co.timeoutMs;
    this.netOpts = { host: co.host, port: co.port, family: co.af, localAddress: co.bindto ?? undefined, localPort: co.bindPort || undefined };
  }

  /** One connect; the socket is closed as soon as it is established (as tcp_check_thread()). */
  run(signal: AbortSignal): Promise<CheckResult> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve(failResult('aborted'));
        return;
      }
      const socket = netConnect(this.netOpts);
      let done = false;
      const finish = (r: CheckResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(r);
      };
      const onAbort = (): void => finish(failResult('aborted'));
      const timer = setTimeout(() => finish(failResult('connect timeout')), this.co.timeoutMs);
      socket.once('connect', () => finish(CONNECTED));
      socket.on('error', (err: NodeJS.ErrnoException) => finish(failResult(err.code ?? err.message)));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export const tcpCheckKind: CheckerKind = {
  keyword: 'TCP_CHECK',
  parse(node: ConfNode, ctx: CheckerContext): ParsedChecker | null {
    const common = parseCommon(node, ctx, { connection: true, defaultRetry: 1, defaultDelayBeforeRetryMs: 1000 });
    reportUnknown(common.rest, node, ctx);
    return { checker: new TcpCheck(common.connect), timing: common.timing };
  },
};
