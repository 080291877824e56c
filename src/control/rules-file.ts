// Loading a rules file: `ipvsadm -S` output (what `uvs run --rules` and `uvs replay --rules`
// read), through the same parser and kernel checks as `ipvsadm -R`. Unlike -R, which stops at
// the first parse error, every line is tried and every problem reported as `file:line: message`;
// a line that fails changes nothing.

import type { VirtualServerTable } from '../model/config.js';
import { ControlModel, NO_STATS, restoreLines } from './model.js';
import { SystemResolver, type NameResolver } from './names.js';

export interface RulesFileResult {
  table: VirtualServerTable;
  errors: string[];
}

export function parseRulesFile(text: string, fileName: string, names: NameResolver = new SystemResolver('/etc/hosts', '/etc/services', false)): RulesFileResult {
  const model = new ControlModel({ names });
  const errors = loadRulesInto(model, text, fileName);
  return { table: model.snapshot(), errors };
}

/** Applies every line of a rules file to `model` (in one batch); returns the problems. */
export function loadRulesInto(model: ControlModel, text: string, fileName: string): string[] {
  const errors: string[] = [];
  const lines = restoreLines(text);
  model.batch(() => {
    lines.forEach((words, i) => {
      if (words.length === 0) return;
      const r = model.execute(words, '', NO_STATS);
      if (r.code !== 0) {
        const msg = r.stderr.trim().split('\n')[0] ?? `exit status ${r.code}`;
        errors.push(`${fileName}:${i + 1}: ${msg}`);
      }
    });
  });
  return errors;
}
