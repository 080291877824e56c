// `uvs lint`: table in `ipvsadm -S -n` form on stdout, problems as file:line on stderr, exit status.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture } from './helpers.js';
import { detectFormat, lintText, run as lintMain } from '../../src/cli/commands/lint.js';

describe('uvs lint', () => {
  it('a clean rules file: -S -n form, exit 0', () => {
    const out = lintText(fixture('rules/full.rules'), 'full.rules', null);
    expect(out).toEqual({ stdout: fixture('rules/full.rules'), stderr: '', code: 0 });
  });

  it('a rules file with errors: every problem as file:line, exit 1', () => {
    const out = lintText(fixture('rules/with-errors.rules'), 'w.rules', 'ipvsadm');
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1\n');
    expect(out.stderr.split('\n')[0]).toBe('w.rules:4: illegal weight specified');
  });

  it('keepalived.conf: table, problems, and notes for sections not acted on', () => {
    const file = join(FIXTURES, 'keepalived', 'features.conf');
    const out = lintText(fixture('keepalived/features.conf'), file, null);
    expect(out.code).toBe(1);
    expect(out.stdout.split('\n')[0]).toBe('-A -t 10.0.0.100:80 -s wlc -p 600 -M 255.255.255.0 --pe sip');
    expect(out.stderr).toContain(`${file}:32: Unknown keyword 'frobnicate'\n`);
    expect(out.stderr).toContain(`${file}:7: note: 'vrrp_instance VI_1' parsed, not acted on by uvs\n`);
  });

  it('a marks file', () => {
    const out = lintText(fixture('marks/good.rules'), 'good.rules', null);
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n')[0]).toBe('-A PREROUTING -d 10.0.0.100/255.255.255.255 -p 6 --dports 443 -j MARK --set-xmark 0xa/0xffffffff');
    expect(lintText(fixture('marks/bad.rules'), 'bad.rules', 'marks').code).toBe(1);
  });

  it('detects the format from the content', () => {
    expect(detectFormat('# x\n-A -t 1.2.3.4:80 -s rr\n')).toBe('ipvsadm');
    expect(detectFormat('ipvsadm -A -t 1.2.3.4:80\n')).toBe('ipvsadm');
    expect(detectFormat('! comment\nglobal_defs {\n}\n')).toBe('keepalived');
    expect(detectFormat('virtual_server 1.2.3.4 80 {\n')).toBe('keepalived');
    expect(detectFormat('*mangle\n-A PREROUTING -j MARK --set-mark 1\nCOMMIT\n')).toBe('marks');
  });

  it('usage errors exit 2', async () => {
    expect(await lintMain([])).toBe(2);
    expect(await lintMain(['--format', 'yaml', 'x'])).toBe(2);
    expect(await lintMain(['/nonexistent/file.conf'])).toBe(2);
  });
});
