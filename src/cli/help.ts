// `uvs COMMAND --help`: each command module owns its help (the usage, then one line per option
// saying what it does and its default) and builds it with formatHelp(). The option lines start
// with the flag, so test/cli/help.test.ts can hold them against the flags the parser accepts:
// a command module exports HELP and its parser's flag tables, as NAME_VALUE_FLAGS and
// NAME_BOOLEAN_FLAGS sets or a node:util parseArgs options object named NAME_OPTIONS.

export interface OptionHelp {
  /** The flag as the user types it, with its value, e.g. `--iface IF`. */
  flag: string;
  /** What it does and its default, one short line. */
  text: string;
}

/** Usage line(s), then `Options:` with one aligned line per option, then any notes. */
export function formatHelp(usage: string, options: readonly OptionHelp[], notes: readonly string[] = []): string {
  const width = Math.max(0, ...options.map((o) => o.flag.length));
  const lines = [usage];
  if (options.length) {
    lines.push('', 'Options:');
    for (const o of options) lines.push(`  ${o.flag.padEnd(width)}  ${o.text}`);
  }
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n') + '\n';
}

/** `--help` or `-h` among the command's own arguments (before a `--` that starts another command's). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}
