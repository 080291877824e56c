// `uvs COMMAND --help`: every command module owns its help. The flags a help documents are held
// against the flags the command's parser accepts (its exported flag tables), both ways, so a flag
// added to a parser without a help line (or a help line left for a removed flag) fails here.
// The end-to-end half runs the built CLI (dist/): `npm test` builds first; run `npm run build`
// before `npx vitest run test/cli` alone.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { wantsHelp } from '../../src/cli/help.js';
import { COMMANDS } from '../../src/cli/uvs.js';
import { USAGE as RUN_USAGE } from '../../src/cli/commands/run.js';
import { BENCHES } from '../../src/cli/commands/bench.js';

const UVS = fileURLToPath(new URL('../../dist/src/cli/uvs.js', import.meta.url));

/** Every command but bench (which lists sub-benchmarks, each with its own --help) has a parser. */
const PARSED = COMMANDS.map((c) => c.name).filter((n) => n !== 'bench');

/**
 * A command module's help and the flags its parser accepts, found by the convention in
 * src/cli/help.ts: sets exported as *_VALUE_FLAGS / *_BOOLEAN_FLAGS, or a node:util parseArgs
 * options table exported as *_OPTIONS.
 */
async function commandHelp(name: string): Promise<{ help: string; flags: string[] }> {
  const mod = (await import(`../../src/cli/commands/${name}.ts`)) as Record<string, unknown>;
  const flags: string[] = [];
  for (const [key, value] of Object.entries(mod)) {
    if (/_(VALUE|BOOLEAN)_FLAGS$/.test(key) && value instanceof Set) flags.push(...(value as Set<string>));
    else if (/_OPTIONS$/.test(key) && value && typeof value === 'object') flags.push(...Object.keys(value).map((k) => `--${k}`));
  }
  expect(typeof mod.HELP, `src/cli/commands/${name}.ts exports no HELP`).toBe('string');
  expect(flags.length, `src/cli/commands/${name}.ts exports no flag table`).toBeGreaterThan(0);
  return { help: mod.HELP as string, flags };
}

/** The flags that start an option line (`  --flag VALUE  what it does`). */
function documentedFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}(--[a-z][\w-]*)/gm)].map((m) => m[1]!);
}

function uvs(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [UVS, ...args], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, UVS_LAB: 'uvs-t-help' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('each command help documents exactly the flags its parser accepts', () => {
  for (const name of PARSED) {
    it(`uvs ${name}: one option line per accepted flag, none for a flag the parser refuses`, async () => {
      const c = await commandHelp(name);
      const documented = documentedFlags(c.help);
      expect(documented.slice().sort()).toEqual([...new Set(c.flags)].sort());
      // One line each, and every line says something beyond the flag.
      for (const line of c.help.split('\n').filter((l) => /^ {2}--/.test(l))) {
        expect(line.replace(/^ {2}--\S+( \S+)?/, '').trim().length, line).toBeGreaterThan(10);
      }
      expect(c.help.startsWith('Usage:')).toBe(true);
    });
  }

  it('the helps give the defaults the code uses', async () => {
    const run = (await commandHelp('run')).help;
    expect(run).toMatch(/--main-nice N .*default 10\b/);
    expect(run).toMatch(/--io afpacket\|pcap .*default afpacket\b/);
    expect(run).toMatch(/--afpacket-mode \S+ .*default ringrx\b/);
    expect(run).toMatch(/--batch N .*default 64\b/);
    expect(run).toMatch(/--socket PATH .*\/run\/uvs\/uvs\.sock/);
    expect(run).toMatch(/--log-level LEVEL .*else info\b/);
    expect((await commandHelp('lab')).help).toMatch(/--requests N .*default 12\b/);
    expect((await commandHelp('trace')).help).toMatch(/--json /);
  });
});

describe('wantsHelp', () => {
  it('finds --help and -h among the command\'s own arguments only', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['up', 'dr', '-h'])).toBe(true);
    expect(wantsHelp(['--iface', 'eth0'])).toBe(false);
    // `uvs lab exec client -- curl --help` is curl's help, not the lab's.
    expect(wantsHelp(['exec', 'client', '--', 'curl', '--help'])).toBe(false);
  });
});

describe('the built uvs delegates --help to the command', () => {
  it('is built', () => {
    expect(existsSync(UVS), `${UVS} is missing: run npm run build`).toBe(true);
  });

  for (const name of PARSED) {
    for (const flag of ['--help', '-h']) {
      it(`uvs ${name} ${flag}: the module's help on stdout, exit 0`, async () => {
        const r = uvs([name, flag]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toBe((await commandHelp(name)).help);
      });
    }
  }

  it('uvs lab up dr --help prints the help and builds nothing', async () => {
    const r = uvs(['lab', 'up', 'dr', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe((await commandHelp('lab')).help);
  });

  it('uvs bench --help lists every sub-benchmark, exit 0', () => {
    const r = uvs(['bench', '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const b of BENCHES) expect(r.stdout).toMatch(new RegExp(`^ {2}${b.name}\\s`, 'm'));
  });

  it('uvs --help names every command, exit 0', () => {
    const r = uvs(['--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const c of COMMANDS) expect(lines).toContain(`  ${c.name.padEnd(8)} ${c.summary}`);
  });
});

describe('option errors keep the short usage on stderr, exit 2', () => {
  it('uvs run --bogus', () => {
    const r = uvs(['run', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`uvs run: unknown option '--bogus'\n${RUN_USAGE}\n`);
  });

  it('uvs run without --iface', () => {
    const r = uvs(['run']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`uvs run: --iface is required\n${RUN_USAGE}\n`);
  });

  for (const name of ['replay', 'lint', 'lab', 'trace']) {
    it(`uvs ${name} --bogus`, () => {
      const r = uvs([name, '--bogus']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/'--bogus'/);
      expect(r.stderr).toMatch(new RegExp(`^Usage:(\\n {2})? ?uvs ${name}\\b`, 'm'));
    });
  }
});
