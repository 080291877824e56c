// Checker blocks from keepalived.conf text: defaults as keepalived resolves them, overrides at
// checker / real_server / virtual_server level, and file:line problems for bad values.

import { describe, expect, it } from 'vitest';
import { checkerKind } from '../../src/health/registry.js';
import { buildHealthInput } from '../../src/health/build.js';
import type { ParsedChecker } from '../../src/health/checker.js';
import type { HttpGetCheck } from '../../src/health/http-get.js';
import type { TcpCheck } from '../../src/health/tcp-check.js';
import type { KeepalivedConfig } from '../../src/model/keepalived.js';
import { confNodes, ctx, dest, service } from './helpers.js';

function parseBlock(text: string, over: Parameters<typeof ctx>[1] = {}): { pc: ParsedChecker | null; problems: string[] } {
  const problems: string[] = [];
  const node = confNodes(text, 'k.conf')[0];
  const pc = checkerKind(node.keyword)!.parse(node, ctx(problems, over));
  return { pc, problems };
}

describe('checker defaults (check_data.c)', () => {
  it.each([
    ['TCP_CHECK {\n}', 1, 1000],
    ['HTTP_GET {\n url {\n path /\n }\n}', 1, 3000],
    ['SSL_GET {\n url {\n path /\n }\n}', 1, 3000],
    ['MISC_CHECK {\n misc_path /bin/true\n}', 0, 1000],
    ['PING_CHECK {\n}', 1, 1000],
    ['UDP_CHECK {\n}', 1, 1000],
    ['DNS_CHECK {\n}', 3, 60_000],
  ])('%s → retry %i, delay_before_retry %i ms', (text, retry, dbr) => {
    const { pc, problems } = parseBlock(text);
    expect(problems).toEqual([]);
    expect(pc!.timing).toEqual({ delayLoopMs: 60_000, retry, delayBeforeRetryMs: dbr, warmupMs: 60_000, alpha: false });
  });

  it('checker keywords override real_server values, which override the kind defaults', () => {
    const rs = { rsRetry: 4, rsDelayBeforeRetryMs: 2500, rsWarmupMs: 0, delayLoopMs: 6000, connectTimeoutMs: 3000 };
    expect(parseBlock('TCP_CHECK {\n}', rs).pc!.timing).toEqual({ delayLoopMs: 6000, retry: 4, delayBeforeRetryMs: 2500, warmupMs: 0, alpha: false });
    const { pc } = parseBlock('TCP_CHECK {\n retry 2\n delay_before_retry 0.5\n delay_loop 2\n warmup 1\n alpha\n connect_timeout 1.5\n connect_port 8080\n}', rs);
    expect(pc!.timing).toEqual({ delayLoopMs: 2000, retry: 2, delayBeforeRetryMs: 500, warmupMs: 1000, alpha: true });
    expect((pc!.checker as TcpCheck).co).toMatchObject({ host: '127.0.0.1', port: 8080, timeoutMs: 1500 });
    expect((pc!.checker as TcpCheck).co.timeoutMs).toBe(1500);
  });

  it('accepts the old nb_get_retry (seed configs use it in TCP_CHECK)', () => {
    const { pc, problems } = parseBlock('TCP_CHECK {\n connect_timeout 5\n nb_get_retry 3\n delay_before_retry 3\n connect_port 80\n}');
    expect(problems).toEqual([]);
    expect(pc!.timing).toMatchObject({ retry: 3, delayBeforeRetryMs: 3000 });
  });

  it('HTTP_GET: virtualhost from the virtual_server unless the checker or url says otherwise', () => {
    const { pc } = parseBlock('HTTP_GET {\n url {\n path /a\n }\n url {\n path /b\n virtualhost b.test\n }\n}', { virtualhost: 'vs.test', rsPort: 8080 });
    const h = pc!.checker as HttpGetCheck;
    expect(h.request(h.urls[0])).toBe('GET /a HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: vs.test\r\n\r\n');
    expect(h.request(h.urls[1])).toContain('Host: b.test\r\n');
    const plain = parseBlock('HTTP_GET {\n url {\n path /a\n }\n}', { rsPort: 8080 }).pc!.checker as HttpGetCheck;
    expect(plain.request(plain.urls[0])).toContain('Host: 127.0.0.1:8080\r\n');
  });
});

describe('DIFF: keywords accepted and not applied', () => {
  it('bind_if, fwmark (TCP_CHECK) and user (MISC_CHECK) parse without problems', () => {
    const withLog = parseBlock('TCP_CHECK {\n bind_if eth0\n fwmark 7\n log_all_failures\n}');
    expect(withLog.problems).toEqual([]);
    expect(withLog.pc!.timing.logAllFailures).toBe(true);
    expect(parseBlock('MISC_CHECK {\n misc_path /bin/true\n user nobody\n}').problems).toEqual([]);
    expect(parseBlock('HTTP_GET {\n url {\n path /\n regex ok\n }\n}').problems).toEqual(["k.conf:4: unknown keyword 'regex' in url"]);
  });
});

describe('bad values are file:line problems', () => {
  it.each([
    ['TCP_CHECK {\n connect_port 70000\n}', 'k.conf:2: connect_port \'70000\' is out of range 1..65535'],
    ['TCP_CHECK {\n connect_timeout fast\n}', "k.conf:2: connect_timeout 'fast' is not a time in seconds"],
    ['TCP_CHECK {\n connect_timeout 0\n}', "k.conf:2: connect_timeout '0' is too small"],
    ['TCP_CHECK {\n retry -1\n}', "k.conf:2: retry '-1' is not an unsigned number"],
    ['TCP_CHECK {\n connect_ip 10.0.0.300\n}', 'k.conf:2: Invalid connect_ip address 10.0.0.300 - ignoring'],
    ['TCP_CHECK {\n bindto nowhere\n}', 'k.conf:2: Invalid bindto address nowhere - ignoring'],
    ['TCP_CHECK {\n delay_loop 0\n}', "k.conf:2: delay_loop '0' is too small"],
    ['TCP_CHECK {\n frobnicate 1\n}', "k.conf:2: unknown keyword 'frobnicate' in TCP_CHECK"],
    ['HTTP_GET {\n url {\n path /\n status_code 200-99\n }\n}', "k.conf:4: Invalid HTTP_GET status code '200-99'"],
    ['HTTP_GET {\n url {\n path /\n status_code 600\n }\n}', "k.conf:4: Invalid HTTP_GET status code '600'"],
    ['HTTP_GET {\n url {\n path /\n digest 1234\n }\n}', "k.conf:4: digest '1234' should be 32 hex characters"],
    ['HTTP_GET {\n url {\n status_code 200\n }\n}', 'k.conf:2: HTTP/SSL_GET checker url has no path - ignoring'],
    ['MISC_CHECK {\n misc_path /bin/true\n misc_timeout x\n}', "k.conf:3: misc_timeout 'x' is not an unsigned number"],
    ['MISC_CHECK {\n connect_port 80\n misc_path /bin/true\n}', 'k.conf:2: connect_port is not valid in MISC_CHECK'],
    ['UDP_CHECK {\n payload zz\n}', 'k.conf:2: Invalid hex string for UDP_CHECK payload'],
    ['DNS_CHECK {\n type BOGUS\n}', 'k.conf:2: Unknown DNS check type BOGUS - ignoring'],
  ])('%s', (text, problem) => {
    const { problems } = parseBlock(text);
    expect(problems).toContain(problem);
  });

  it('a block that cannot run is dropped', () => {
    expect(parseBlock('HTTP_GET {\n connect_timeout 3\n}').pc).toBeNull();
    expect(parseBlock('MISC_CHECK {\n misc_timeout 3\n}').pc).toBeNull();
  });
});

describe('buildHealthInput', () => {
  it('inherits virtual_server and real_server level timing and reports unsupported checkers', () => {
    const [vsNode] = confNodes(
      [
        'virtual_server 10.0.0.100 80 {',
        '  delay_loop 6',
        '  retry 5',
        '  connect_timeout 2',
        '  real_server 10.0.0.11 80 {',
        '    delay_before_retry 2',
        '    TCP_CHECK {',
        '    }',
        '    SMTP_CHECK {',
        '    }',
        '  }',
        '}',
      ].join('\n'),
      'ka.conf',
    );
    const rsNode = vsNode.children!.find((n) => n.keyword === 'real_server')!;
    const cfg: KeepalivedConfig = {
      virtualServers: [
        {
          service: service(),
          delayLoopS: 6,
          quorum: 1,
          hysteresis: 0,
          quorumUp: '',
          quorumDown: '',
          alpha: false,
          omega: false,
          inhibitOnFailure: false,
          virtualhost: '',
          sorryServer: null,
          sorryServerInhibit: false,
          realServers: [{ dest: dest('10.0.0.11'), inhibitOnFailure: false, notifyUp: '', notifyDown: '', checkers: rsNode.children!.filter((n) => n.children !== null), node: rsNode }],
          node: vsNode,
        },
      ],
      ignored: [],
      problems: [],
    };
    const { input, problems } = buildHealthInput(cfg);
    expect(problems).toEqual(['ka.conf:9: SMTP_CHECK is not supported by uvs - ignoring']);
    const [pc] = input[0].realServers[0].checkers;
    expect(pc.timing).toEqual({ delayLoopMs: 6000, retry: 5, delayBeforeRetryMs: 2000, warmupMs: 6000, alpha: false });
    expect(pc.checker.timeoutMs).toBe(2000);
  });
});

describe('robustness: random checker blocks never throw', () => {
  it('every kind parses arbitrary keyword/value trees into a checker or file:line problems', async () => {
    const fc = await import('fast-check');
    const { checkerKeywords } = await import('../../src/health/registry.js');
    const words = ['connect_ip', 'connect_port', 'bindto', 'bind_port', 'connect_timeout', 'retry', 'nb_get_retry', 'delay_before_retry', 'warmup', 'delay_loop', 'alpha', 'url', 'path', 'digest', 'status_code', 'virtualhost', 'misc_path', 'misc_timeout', 'misc_dynamic', 'payload', 'require_reply', 'min_reply_length', 'max_reply_length', 'type', 'name', 'http_protocol', 'enable_sni', 'bogus'];
    const value = fc.oneof(fc.constantFrom('1', '0', '-1', '1.5', '65536', '200-299', 'abc', '', '10.0.0.1', '::1', 'ffff', 'A', 'SOA', '/x', '00112233445566778899aabbccddeeff'), fc.string({ maxLength: 8 }));
    const leaf = fc.record({ keyword: fc.constantFrom(...words), args: fc.array(value, { maxLength: 3 }), children: fc.constant(null), file: fc.constant('r.conf'), line: fc.nat(500) });
    const node = fc.record({ keyword: fc.constantFrom(...words), args: fc.array(value, { maxLength: 2 }), children: fc.option(fc.array(leaf, { maxLength: 4 }), { nil: null }), file: fc.constant('r.conf'), line: fc.nat(500) });
    fc.assert(
      fc.property(fc.constantFrom(...checkerKeywords()), fc.array(node, { maxLength: 8 }), (kw, children) => {
        const problems: string[] = [];
        const block = { keyword: kw, args: [], children, file: 'r.conf', line: 1 };
        const pc = checkerKind(kw)!.parse(block, ctx(problems));
        for (const p of problems) expect(p).toMatch(/^r\.conf:\d+: /);
        if (pc) {
          expect(pc.timing.delayLoopMs).toBeGreaterThan(0);
          expect(pc.checker.timeoutMs).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });
});
