// Replay goldens: rules + in.pcap → decisions.jsonl + out.pcap, compared byte for byte with the
// files committed under test/replay/<scenario>/ (checked by hand when generated; see make-fixtures.ts).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay, run } from '../../src/cli/commands/replay.js';
import { BASIC_ARGS, BASIC_RULES, basicFrames, EXPIRY_RULES, expiryFrames, writeCapture } from './make-fixtures.js';

const here = new URL('.', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'uvs-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const update = process.env.UPDATE_GOLDENS === '1';

describe('uvs replay goldens', () => {
  const dir = join(here, 'basic');
  it('basic: the committed input is what make-fixtures builds', () => {
    const p = join(tmp, 'in.pcap');
    writeCapture(p, basicFrames());
    if (update) {
      writeFileSync(join(dir, 'in.pcap'), readFileSync(p));
      writeFileSync(join(dir, 'rules'), BASIC_RULES);
    }
    expect(readFileSync(p).equals(readFileSync(join(dir, 'in.pcap')))).toBe(true);
    expect(readFileSync(join(dir, 'rules'), 'utf8')).toBe(BASIC_RULES);
  });

  it('basic: decisions and output capture match the goldens byte for byte', async () => {
    const dec = join(tmp, 'basic.jsonl');
    const out = join(tmp, 'basic.pcap');
    const code = await replay(['--rules', join(dir, 'rules'), '--in', join(dir, 'in.pcap'), '--out', out, '--decisions', dec, ...BASIC_ARGS]);
    expect(code).toBe(0);
    if (update) {
      writeFileSync(join(dir, 'expected-decisions.jsonl'), readFileSync(dec));
      writeFileSync(join(dir, 'expected-out.pcap'), readFileSync(out));
    }
    expect(readFileSync(dec, 'utf8')).toBe(readFileSync(join(dir, 'expected-decisions.jsonl'), 'utf8'));
    expect(readFileSync(out).equals(readFileSync(join(dir, 'expected-out.pcap')))).toBe(true);
  });

  it('expiry: template re-arm and expiry across capture time gaps match the goldens', async () => {
    const edir = join(here, 'expiry');
    const p = join(tmp, 'expiry-in.pcap');
    writeCapture(p, expiryFrames());
    if (update) {
      writeFileSync(join(edir, 'in.pcap'), readFileSync(p));
      writeFileSync(join(edir, 'rules'), EXPIRY_RULES);
    }
    expect(readFileSync(p).equals(readFileSync(join(edir, 'in.pcap')))).toBe(true);
    const dec = join(tmp, 'expiry.jsonl'), out = join(tmp, 'expiry.pcap');
    expect(await replay(['--rules', join(edir, 'rules'), '--in', join(edir, 'in.pcap'), '--out', out, '--decisions', dec])).toBe(0);
    if (update) {
      writeFileSync(join(edir, 'expected-decisions.jsonl'), readFileSync(dec));
      writeFileSync(join(edir, 'expected-out.pcap'), readFileSync(out));
    }
    expect(readFileSync(dec, 'utf8')).toBe(readFileSync(join(edir, 'expected-decisions.jsonl'), 'utf8'));
    expect(readFileSync(out).equals(readFileSync(join(edir, 'expected-out.pcap')))).toBe(true);
  });

  it('is deterministic: two runs give identical files', async () => {
    const a = join(tmp, 'a.jsonl'), b = join(tmp, 'b.jsonl');
    for (const f of [a, b]) await replay(['--rules', join(dir, 'rules'), '--in', join(dir, 'in.pcap'), '--decisions', f, ...BASIC_ARGS]);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });
});

describe('uvs replay: bad arguments and files give clear errors (exit 2)', () => {
  const dir = join(here, 'basic');
  const cases: [string, string[], RegExp][] = [
    ['missing --rules', ['--in', 'x.pcap'], /--rules FILE is required/],
    ['missing --in', ['--rules', join(dir, 'rules')], /--in IN.pcap is required/],
    ['unknown option', ['--bogus'], /bogus/],
    ['bad MAC', ['--rules', join(dir, 'rules'), '--in', join(dir, 'in.pcap'), '--mac', 'zz'], /--mac 'zz'/],
    ['bad neigh', ['--rules', join(dir, 'rules'), '--in', join(dir, 'in.pcap'), '--neigh', '1.2.3=aa'], /--neigh '1.2.3=aa'/],
    ['rules file missing', ['--rules', join(tmp, 'nope'), '--in', join(dir, 'in.pcap')], /no such file/],
    ['capture missing', ['--rules', join(dir, 'rules'), '--in', join(tmp, 'nope.pcap'), '--addr', '10.0.0.2'], /nope.pcap/],
    ['unwritable --out', ['--rules', join(dir, 'rules'), '--in', join(dir, 'in.pcap'), '--addr', '10.0.0.2', '--out', '/nonexistent-dir/x.pcap'], /--out \/nonexistent-dir/],
    ['bad sysctl', ['--rules', join(dir, 'rules'), '--in', join(dir, 'in.pcap'), '--sysctl', 'nope=1'], /--sysctl 'nope=1'/],
    ['tunnel without --addr', ['--rules', join(dir, 'rules'), '--in', join(dir, 'in.pcap')], /--addr/],
  ];
  for (const [name, argv, re] of cases) {
    it(name, async () => {
      let err = '';
      const orig = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
      try {
        expect(await run(argv)).toBe(2);
      } finally {
        process.stderr.write = orig;
      }
      expect(err).toMatch(re);
    });
  }

  it('a file that is not a capture', async () => {
    const bad = join(tmp, 'bad.pcap');
    writeFileSync(bad, 'not a capture at all, just text');
    let err = '';
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
    try {
      expect(await run(['--rules', join(dir, 'rules'), '--in', bad, '--addr', '10.0.0.2'])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(err).toMatch(/unknown file format/);
    expect(existsSync(bad)).toBe(true);
  });
});
