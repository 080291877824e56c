// Bad input never crashes: random ipvsadm argument vectors, keepalived texts and marks files
// (time-boxed fast-check properties with a fixed seed).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newModel, run, setup } from './helpers.js';
import { loadKeepalivedText } from '../../src/control/keepalived/config.js';
import { parseMarkRules } from '../../src/control/marks.js';
import { parseRulesFile } from '../../src/control/rules-file.js';

const WORDS = [
  '-A', '-E', '-D', '-C', '-R', '-S', '-a', '-e', '-d', '-L', '-l', '-Z', '--set', '-h', '-v', '-t', '-u', '-f', '-s', '-p', '-M',
  '-r', '-g', '-i', '-m', '-w', '-x', '-y', '-n', '-c', '-6', '-o', '-b', '--pe', '--tun-type', '--tun-port', '--tun-csum',
  '--stats', '--rate', '--thresholds', '--persistent-conn', '--exact', '--timeout', '--daemon', '--nosort', '--tun-info',
  '10.0.0.1:80', '10.0.0.2', '[2001:db8::1]:80', '0', '1', '65536', 'rr', 'sh', 'sh-port', 'gue', 'x', '', '-', '--', '-Lnc',
  '-At', '--tcp-service=10.0.0.1:80', '255.255.255.0', '--start-daemon', 'master', '--stop-daemon', 'ipvsadm',
];

describe('robustness', () => {
  it('random ipvsadm argument vectors: no throw, ipvsadm exit codes, failures change nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 10 }), fc.array(fc.constantFrom(...WORDS), { maxLength: 10 }), (argv, stdinWords) => {
        const m = newModel();
        setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2');
        const before = m.snapshot();
        const r = run(m, argv, undefined, stdinWords.join(' ') + '\n');
        expect([0, 1, 2, 255]).toContain(r.code);
        if (r.code !== 0 && !argv.some((w) => w === '-R' || w.startsWith('-R'))) expect(m.snapshot()).toEqual(before);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('random keepalived.conf texts and rules/marks files never throw', () => {
    const piece = fc.constantFrom(
      'virtual_server', 'real_server', '{', '}', '"', '#', '!', '\\\n', '\n', ' ', '10.0.0.1', '80', 'group', 'fwmark',
      'virtual_server_group', 'lb_kind', 'TUN', 'type', 'gue', 'port', 'include', '$X=1', '$X', '@a', 'weight', '-1',
      '10.0.0.1-300', 'persistence_granularity', '::1', 'TCP_CHECK', 'protocol', 'UDP', '*mangle', 'COMMIT', '-A', 'PREROUTING',
      '-j', 'MARK', '--set-mark', '!', '-s', '-m', 'multiport', '--dports', '1:2,3', '~SEQ(i, 3)', '~SEQx(i,1,2,9)', '$i', '@^a', '\\#',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
        const text = parts.join(' ');
        const cfg = loadKeepalivedText(text, 'f.conf', { readFile: () => '', glob: () => [] });
        expect(Array.isArray(cfg.problems)).toBe(true);
        parseMarkRules(text, 'm.rules');
        parseRulesFile(text, 'r.rules');
      }),
      { numRuns: 1500, seed: 7 },
    );
  });
});
