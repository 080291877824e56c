// HTTP_GET and SSL_GET (keepalived/check/check_http.c, check_ssl.c). For every `url` block in
// order, open a connection (TLS for SSL_GET, certificates not verified, as keepalived), send
//   GET <path> HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: <virtualhost or ip[:port]>\r\n\r\n
// read the response to the end, and require the status code to be in the url's status_code set
// (default 200-299; entries may be ranges like 200-299) and, when `digest` is given, the MD5 of
// the body (what genhash prints) to match. All urls must pass. Defaults: retry 1,
// delay_before_retry 3 s. virtualhost: url block, else checker block, else virtual_server.

import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { ConfNode } from '../model/keepalived.js';
import { failResult, okResult, type CheckResult, type Checker, type CheckerContext, type CheckerKind, type ConnectOpts, type ParsedChecker } from './checker.js';
import { parseCommon, readBool, reportUnknown } from './options.js';
import { tcpConnect } from './tcp-check.js';

const STATUS_MIN = 100;
const STATUS_MAX = 599;
const MAX_HEADER_BYTES = 65536;

export interface HttpUrl {
  path: string;
  /** Lowercase hex MD5 of the body, or '' for none. */
  digest: string;
  /** Accepted status codes, bit per code from STATUS_MIN. */
  status: Uint8Array;
  virtualhost: string;
}

export type HttpProtocol = '1.0' | '1.1' | '1.0C';

export class HttpGetCheck implements Checker {
  readonly type: string;
  readonly target: string;
  readonly timeoutMs: number;
  readonly co: ConnectOpts;
  readonly tls: boolean;
  readonly urls: HttpUrl[];
  readonly virtualhost: string;
  readonly protocol: HttpProtocol;
  readonly sni: boolean;

  constructor(type: string, co: ConnectOpts, urls: HttpUrl[], virtualhost: string, protocol: HttpProtocol, sni: boolean) {
    this.type = type;
    this.co = co;
    this.tls = type === 'SSL_GET';
    this.urls = urls;
    this.virtualhost = virtualhost;
    this.protocol = protocol;
    this.sni = sni;
    const hp = co.af === 6 ? `[${co.host}]:${co.port}` : `${co.host}:${co.port}`;
    this.target = `${this.tls ? 'https' : 'http'}://${hp}`;
    this.timeoutMs = co.timeoutMs * Math.max(1, urls.length);
  }

  async run(signal: AbortSignal): Promise<CheckResult> {
    for (const url of this.urls) {
      const res = await this.fetchOne(url, signal);
      if (!res.ok) return res;
    }
    return okResult(this.urls.length === 1 ? `HTTP ok ${this.urls[0].path}` : `HTTP ok (${this.urls.length} urls)`);
  }

  private hostHeader(url: HttpUrl): string {
    const vh = url.virtualhost || this.virtualhost;
    if (vh) return vh;
    const host = this.co.af === 6 ? `[${this.co.host}]` : this.co.host;
    const defPort = this.tls ? 443 : 80;
    return this.co.port === defPort ? host : `${host}:${this.co.port}`;
  }

  request(url: HttpUrl): string {
    const version = this.protocol === '1.1' ? 'HTTP/1.1' : 'HTTP/1.0';
    const close = this.protocol === '1.0' ? '' : 'Connection: close\r\n';
    return `GET ${url.path} ${version}\r\nUser-Agent: KeepAliveClient\r\nHost: ${this.hostHeader(url)}\r\n${close}\r\n`;
  }

  private async fetchOne(url: HttpUrl, signal: AbortSignal): Promise<CheckResult> {
    const started = Date.now();
    const conn = await tcpConnect(this.co, signal);
    if (!conn.socket) return failResult(`${url.path}: ${conn.error}`);
    let sock: Socket | TLSSocket = conn.socket;
    if (this.tls) {
      const vh = url.virtualhost || this.virtualhost;
      const servername = this.sni && vh && !isIP(vh) ? vh : undefined;
      const t = await tlsHandshake(conn.socket, servername, Math.max(1, this.co.timeoutMs - (Date.now() - started)), signal);
      if (!t.socket) return failResult(`${url.path}: TLS ${t.error}`);
      sock = t.socket;
    }
    return exchange(sock, this.request(url), url, Math.max(1, this.co.timeoutMs - (Date.now() - started)), signal);
  }
}

function tlsHandshake(raw: Socket, servername: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<{ socket: TLSSocket | null; error: string }> {
  return new Promise((resolve) => {
    const s = tlsConnect({ socket: raw, servername, rejectUnauthorized: false });
    let done = false;
    const finish = (ok: boolean, error: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      s.removeListener('error', onError);
      s.on('error', () => {});
      if (ok) resolve({ socket: s, error: '' });
      else {
        s.destroy();
        raw.destroy();
        resolve({ socket: null, error });
      }
    };
    const onError = (err: NodeJS.ErrnoException): void => finish(false, err.code ?? err.message);
    const onAbort = (): void => finish(false, 'aborted');
    const timer = setTimeout(() => finish(false, 'handshake timeout'), timeoutMs);
    s.once('secureConnect', () => finish(true, ''));
    s.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Send the request, read the whole response, judge status and digest. */
function exchange(sock: Socket, request: string, url: HttpUrl, timeoutMs: number, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    let done = false;
    let head: Buffer = Buffer.alloc(0);
    let status = -1;
    let contentLength = -1;
    let bodyBytes = 0;
    const md5 = createHash('md5');
    const finish = (res: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.removeAllListeners('data');
      sock.on('error', () => {});
      sock.destroy();
      resolve(res);
    };
    const judge = (): void => {
      if (done) return;
      if (status < 0) {
        finish(failResult(`${url.path}: no HTTP response`));
        return;
      }
      if (!statusAccepted(url.status, status)) {
        finish(failResult(`${url.path}: HTTP status ${status}`));
        return;
      }
      if (url.digest) {
        const got = md5.digest('hex');
        if (got !== url.digest) {
          finish(failResult(`${url.path}: MD5 digest mismatch (got ${got})`));
          return;
        }
      }
      finish(okResult(`HTTP ${status} ${url.path}`));
    };
    const onBody = (chunk: Buffer): void => {
      md5.update(chunk);
      bodyBytes += chunk.length;
      if (contentLength >= 0 && bodyBytes >= contentLength) judge();
    };
    const onAbort = (): void => finish(failResult(`${url.path}: aborted`));
    const timer = setTimeout(() => finish(failResult(`${url.path}: read timeout`)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', (chunk: Buffer) => {
      if (done) return;
      if (status >= 0) {
        onBody(chunk);
        return;
      }
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEADER_BYTES) finish(failResult(`${url.path}: response header too large`));
        return;
      }
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/\d\.\d\s+(\d{3})/.exec(lines[0]);
      if (!m) {
        finish(failResult(`${url.path}: bad HTTP status line`));
        return;
      }
      status = Number(m[1]);
      for (let i = 1; i < lines.length; i++) {
        const h = /^content-length:\s*(\d+)\s*$/i.exec(lines[i]);
        if (h) contentLength = Number(h[1]);
      }
      const rest = head.subarray(end + 4);
      head = Buffer.alloc(0);
      if (rest.length) onBody(rest);
      else if (contentLength === 0) judge();
    });
    sock.once('end', () => judge());
    sock.once('close', () => judge());
    sock.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after a complete response still counts as a response, as keepalived reads to EOF.
      if (status >= 0 && (contentLength < 0 || bodyBytes >= contentLength)) judge();
      else finish(failResult(`${url.path}: ${err.code ?? err.message}`));
    });
    sock.write(request);
  });
}

export function statusAccepted(set: Uint8Array, code: number): boolean {
  if (code < STATUS_MIN || code > STATUS_MAX) return false;
  return set[code - STATUS_MIN] === 1;
}

/** keepalived's status_code_handler(): codes and ranges, 100..599. */
function parseStatusCodes(node: ConfNode, set: Uint8Array, ctx: CheckerContext): void {
  if (node.args.length === 0) ctx.problem(node, 'status_code needs at least one code');
  for (const text of node.args) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text);
    const min = m ? Number(m[1]) : NaN;
    const max = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || min < STATUS_MIN || max > STATUS_MAX || min > max) {
      ctx.problem(node, `Invalid HTTP_GET status code '${text}'`);
      continue;
    }
    for (let c = min; c <= max; c++) set[c - STATUS_MIN] = 1;
  }
}

function parseUrl(block: ConfNode, ctx: CheckerContext): HttpUrl | null {
  const url: HttpUrl = { path: '', digest: '', status: new Uint8Array(STATUS_MAX - STATUS_MIN + 1), virtualhost: '' };
  let anyStatus = false;
  for (const node of block.children ?? []) {
    switch (node.keyword) {
      case 'path':
        if (!node.args[0]) ctx.problem(node, 'path needs a value');
        else url.path = node.args[0];
        break;
      case 'digest': {
        const d = (node.args[0] ?? '').toLowerCase();
        if (url.digest) ctx.problem(node, `Digest '${d}' is a duplicate`);
        else if (!/^[0-9a-f]{32}$/.test(d)) ctx.problem(node, `digest '${node.args[0] ?? ''}' should be 32 hex characters`);
        else url.digest = d;
        break;
      }
      case 'status_code':
        parseStatusCodes(node, url.status, ctx);
        anyStatus = url.status.some((b) => b === 1);
        break;
      case 'virtualhost':
        if (!node.args[0]) ctx.problem(node, 'Missing HTTP_GET virtualhost name');
        else url.virtualhost = node.args[0];
        break;
      // DIFF: regex matching of the body (a build option of keepalived) is not implemented.
      default:
        ctx.problem(node, `unknown keyword '${node.keyword}' in url`);
    }
  }
  if (!url.path) {
    ctx.problem(block, 'HTTP/SSL_GET checker url has no path - ignoring');
    return null;
  }
  if (!anyStatus) for (let c = 200; c <= 299; c++) url.status[c - STATUS_MIN] = 1;
  return url;
}

function makeKind(keyword: 'HTTP_GET' | 'SSL_GET'): CheckerKind {
  return {
    keyword,
    parse(node: ConfNode, ctx: CheckerContext): ParsedChecker | null {
      const common = parseCommon(node, ctx, { connection: true, defaultRetry: 1, defaultDelayBeforeRetryMs: 3000 });
      const urls: HttpUrl[] = [];
      let virtualhost = ctx.virtualhost;
      let protocol: HttpProtocol = '1.0';
      let sni = false;
      const unknown: ConfNode[] = [];
      for (const n of common.rest) {
        switch (n.keyword) {
          case 'url': {
            const u = parseUrl(n, ctx);
            if (u) urls.push(u);
            break;
          }
          case 'virtualhost':
            if (!n.args[0]) ctx.problem(n, 'HTTP_GET virtualhost name missing');
            else virtualhost = n.args[0];
            break;
          case 'http_protocol': {
            const v = n.args[0] ?? '';
            if (v === '1.0' || v === '1.1') protocol = v;
            else if (v === '1.0C' || v === '1.0c') protocol = '1.0C';
            else ctx.problem(n, `Invalid http_protocol version ${v}`);
            break;
          }
          case 'enable_sni': {
            const b = readBool(n, ctx);
            if (b !== null) sni = b;
            break;
          }
          case 'fast_recovery':
            readBool(n, ctx);
            break;
          default:
            unknown.push(n);
        }
      }
      reportUnknown(unknown, node, ctx);
      if (urls.length === 0) {
        ctx.problem(node, `${keyword} checker has no urls specified - ignoring`);
        return null;
      }
      return { checker: new HttpGetCheck(keyword, common.connect, urls, virtualhost, protocol, sni), timing: common.timing };
    },
  };
}

export const httpGetKind = makeKind('HTTP_GET');
export const sslGetKind = makeKind('SSL_GET');
