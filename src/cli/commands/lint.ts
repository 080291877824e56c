// `uvs lint [--format ipvsadm|keepalived|marks] FILE`: load a rules file (`ipvsadm -S` output),
// a keepalived.conf or an iptables-save marks file exactly as `uvs run` would, print the
// resulting table in `ipvsadm -S -n` form (marks: one line per rule), then every problem as
// `file:line: message` on stderr. Exit 0 when clean, 1 when any problem was found, 2 on usage.
// Without --format the kind is guessed from the content.

import { readFileSync } from 'node:fs';
import { ControlModel, NO_STATS } from '../../control/model.js';
import { loadRulesInto } from '../../control/rules-file.js';
import { loadKeepalivedFile } from '../../control/keepalived/config.js';
import { applyKeepalived } from '../../control/keepalived/apply.js';
import { parseMarkRules } from '../../control/marks.js';
import { SystemResolver } from '../../control/names.js';
import { formatIPv4 } from '../../model/ipv4.js';
import { formatHelp, wantsHelp } from '../help.js';

export type LintFormat = 'ipvsadm' | 'keepalived' | 'marks';

export interface LintOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Guess the kind of a file from its first meaningful words. */
export function detectFormat(text: string): LintFormat {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#!].*$/, '').trim();
    if (!line) continue;
    if (/^\*\w+/.test(line) || /^:\S+\s+\S+/.test(line) || /^(-A|--append)\s+PREROUTING\b/.test(line) || /^ip6?tables\b/.test(line)) return 'marks';
    if (/^(ipvsadm\s+)?-[A-Za-z]/.test(line) || /^--\w/.test(line)) return 'ipvsadm';
    return 'keepalived';
  }
  return 'ipvsadm';
}

export function lintText(text: string, file: string, format: LintFormat | null): LintOutput {
  const fmt = format ?? detectFormat(text);
  const names = new SystemResolver('/etc/hosts', '/etc/services', false);
  const model = new ControlModel({ names });
  let problems: string[] = [];
  let notes: string[] = [];
  let stdout = '';
  if (fmt === 'ipvsadm') {
    problems = loadRulesInto(model, text, file);
  } else if (fmt === 'keepalived') {
    const cfg = loadKeepalivedFile(file, { readFile: (p) => (p === file ? text : readFileSync(p, 'utf8')) });
    problems = [...cfg.problems, ...applyKeepalived(model, cfg, NO_STATS)];
    notes = cfg.ignored.map((n) => `${n.file}:${n.line}: note: '${n.keyword}${n.args.length ? ' ' + n.args.join(' ') : ''}' parsed, not acted on by uvs`);
  } else {
    const r = parseMarkRules(text, file, names);
    problems = r.errors;
    for (const m of r.rules) {
      const addr = (a: number, mask: number, neg: boolean, flag: string): string => (mask ? `${neg ? '! ' : ''}${flag} ${formatIPv4(a)}/${formatIPv4(mask)} ` : '');
      const ports = (p: Array<[number, number]>, neg: boolean, flag: string): string => (p.length ? `${neg ? '! ' : ''}${flag} ${p.map(([a, b]) => (a === b ? `${a}` : `${a}:${b}`)).join(',')} ` : '');
      stdout +=
        `-A PREROUTING ${addr(m.srcAddr, m.srcMask, m.srcNegate, '-s')}${addr(m.dstAddr, m.dstMask, m.dstNegate, '-d')}` +
        `${m.protocol ? `${m.protocolNegate ? '! ' : ''}-p ${m.protocol} ` : ''}${m.inIface ? `${m.inIfaceNegate ? '! ' : ''}-i ${m.inIface} ` : ''}` +
        `${ports(m.srcPorts, m.srcPortsNegate, '--sports')}${ports(m.dstPorts, m.dstPortsNegate, '--dports')}` +
        `-j MARK --set-${m.op} 0x${m.value.toString(16)}/0x${m.mask.toString(16)}\n`;
    }
  }
  if (fmt !== 'marks') stdout = model.execute(['-S', '-n'], '', NO_STATS).stdout;
  const stderr = [...problems, ...notes].map((l) => l + '\n').join('');
  return { stdout, stderr, code: problems.length ? 1 : 0 };
}

const USAGE = 'Usage: uvs lint [--format ipvsadm|keepalived|marks] FILE\n';

/** The options run() accepts (each takes a value); FILE is the one positional argument. */
export const LINT_VALUE_FLAGS: ReadonlySet<string> = new Set(['--format']);

export const HELP = formatHelp(USAGE.trimEnd(), [
  { flag: '--format ipvsadm|keepalived|marks', text: 'the kind of FILE: ipvsadm -S rules, keepalived.conf or iptables-save MARK rules (default: guessed from the content)' },
], [
  'Loads FILE as `uvs run` would and prints the resulting table as `ipvsadm -S -n` (marks: one line per rule),',
  'then every problem as file:line: message on stderr. Exit 0 when clean, 1 when a problem was found, 2 on usage.',
]);

export async function run(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(HELP);
    return 0;
  }
  let format: LintFormat | null = null;
  let file: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (!LINT_VALUE_FLAGS.has(name)) {
        process.stderr.write(`uvs lint: unexpected argument '${a}'\n${USAGE}`);
        return 2;
      }
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      // --format is the only option.
      if (v !== 'ipvsadm' && v !== 'keepalived' && v !== 'marks') {
        process.stderr.write(`uvs lint: unknown format '${v ?? ''}'\n${USAGE}`);
        return 2;
      }
      format = v;
    } else if (file === null) file = a;
    else {
      process.stderr.write(`uvs lint: unexpected argument '${a}'\n${USAGE}`);
      return 2;
    }
  }
  if (file === null) {
    process.stderr.write(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`uvs lint: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const out = lintText(text, file, format);
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  return out.code;
}
