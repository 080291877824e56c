// keepalived.conf → a tree of ConfNode, with keepalived's own reading rules (core/parser.c):
// - a comment starts at '#' or '!' outside double quotes and runs to the end of the line
//   (`\#`, `\!` are the characters themselves); a line ending in '\' continues on the next;
// - words are split on blanks, '{' and '}' are words of their own even when glued to others
//   ("80{", "}}"), a double-quoted string is one word (quotes removed, \" and \\ unescaped);
// - `include GLOB` reads every matching file (sorted, as glob(3)), relative paths from the
//   directory of the including file; missing matches are reported;
// - `$NAME=value` defines a macro, `$NAME` / `${NAME}` anywhere later is replaced by its value;
// - `@ID line` keeps the line only when ID is the config id (default: the host name),
//   `@^ID line` only when it is not; `~SEQ(var, start, step, end) line` repeats the line;
// - standard definitions $_PWD (the current file's directory), $_HASH, $_BANG, $_INSTANCE;
// - a keyword followed by '{' (on the same or the next line) opens a block up to its '}';
//   after '}' the rest of the line is read as more statements.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import type { ConfNode } from '../../model/keepalived.js';

export interface ParseOptions {
  /** keepalived -i: the config id @lines are matched against. Default: os.hostname() (short). */
  configId?: string;
  /** Read a file (tests inject an in-memory file system). */
  readFile?: (path: string) => string;
  /** Expand an include pattern to existing paths (sorted). */
  glob?: (pattern: string) => string[];
}

export interface ParsedConf {
  nodes: ConfNode[];
  problems: string[];
}

interface Token {
  text: string;
  /** A quoted word: never a brace, never a keyword-like control. */
  quoted: boolean;
  file: string;
  line: number;
  /** First word of its physical line. */
  bol: boolean;
}

const MAX_INCLUDE_DEPTH = 8;
/** Bound on the lines one file may expand to (~SEQ). */
const MAX_LINES = 200_000;

/** Minimal glob(3) for include: '*', '?', '[...]' within path segments. */
export function fsGlob(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) {
    try {
      statSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const abs = isAbsolute(pattern);
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let bases: string[] = [abs ? '/' : '.'];
  for (const part of parts) {
    if (part === '') continue;
    const next: string[] = [];
    if (!/[*?[]/.test(part)) {
      for (const b of bases) next.push(join(b, part));
    } else {
      const re = new RegExp(
        '^' +
          part
            .replace(/[.+^${}()|\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]')
            .replace(/\[!/g, '[^') +
          '$',
      );
      for (const b of bases) {
        let entries: string[] = [];
        try {
          entries = readdirSync(b);
        } catch {
          continue;
        }
        for (const e of entries.sort()) if (re.test(e) && !(e.startsWith('.') && !part.startsWith('.'))) next.push(join(b, e));
      }
    }
    bases = next;
  }
  return bases.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * decomment(): cuts at '#' or '!' outside double quotes; `\#` and `\!` outside quotes are the
 * literal characters; a trailing '\' means the line continues (returned in `cont`).
 */
function decomment(line: string): { text: string; cont: boolean; unterminated: boolean } {
  let quote = false;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      if (i + 1 >= line.length || /^\s*$/.test(line.slice(i + 1))) return { text: out.trimEnd(), cont: true, unterminated: quote };
      const n = line[i + 1]!;
      if (!quote && (n === '#' || n === '!')) out += n;
      else out += c + n;
      i++;
      continue;
    }
    if (c === '"') quote = !quote;
    else if (!quote && (c === '#' || c === '!')) break;
    out += c;
  }
  return { text: out.trimEnd(), cont: false, unterminated: quote };
}

function splitWords(line: string): Array<{ text: string; quoted: boolean }> {
  const out: Array<{ text: string; quoted: boolean }> = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '{' || c === '}') {
      out.push({ text: c, quoted: false });
      i++;
      continue;
    }
    let text = '';
    let quoted = false;
    while (i < line.length) {
      const d = line[i]!;
      if (d === '"') {
        quoted = true;
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) {
            i++;
            const e = line[i]!;
            text += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          } else text += line[i];
          i++;
        }
        i++; // closing quote
        continue;
      }
      if (d === ' ' || d === '\t' || d === '\r' || d === '{' || d === '}') break;
      text += d;
      i++;
    }
    out.push({ text, quoted });
  }
  return out;
}

class Reader {
  readonly problems: string[] = [];
  private readonly macros = new Map<string, string>([['_HASH', '#'], ['_BANG', '!'], ['_INSTANCE', '']]);
  private readonly configId: string;
  private readonly readFile: (p: string) => string;
  private readonly glob: (p: string) => string[];

  constructor(opts: ParseOptions) {
    this.configId = opts.configId ?? hostname().split('.')[0]!;
    this.readFile = opts.readFile ?? ((p) => readFileSync(p, 'utf8'));
    this.glob = opts.glob ?? fsGlob;
  }

  private substitute(line: string, file: string, lineNo: number): string {
    if (!line.includes('$')) return line;
    return line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      const v = this.macros.get(name);
      if (v === undefined) {
        this.problems.push(`${file}:${lineNo}: undefined definition $${name}`);
        return whole;
      }
      return v;
    });
  }

  tokens(file: string, depth: number, out: Token[]): void {
    let text: string;
    try {
      text = this.readFile(file);
    } catch (e) {
      this.problems.push(`${file}: cannot read: ${(e as Error).message}`);
      return;
    }
    const lines = text.split('\n');
    this.macros.set('_PWD', dirname(resolve(file)));
    const pending: Array<{ text: string; lineNo: number; again?: number }> = [];
    for (let n = 0; n < lines.length; n++) {
      const lineNo = n + 1;
      let d = decomment(lines[n]!.replace(/\r$/, ''));
      let line = d.text;
      while (d.cont && n + 1 < lines.length) {
        d = decomment(lines[++n]!.replace(/\r$/, ''));
        line = line + ' ' + d.text.trimStart();
      }
      if (d.unterminated) this.problems.push(`${file}:${lineNo}: Unterminated quote '${line.trim()}'`);
      pending.push({ text: line.trim(), lineNo });
    }
    for (let k = 0; k < pending.length; k++) {
      const { lineNo } = pending[k]!;
      let trimmed = pending[k]!.text;
      if (!trimmed) continue;
      // Conditional configuration lines: @ID / @^ID.
      const cond = /^@(\^?)(\S+)\s+(.*)$/.exec(trimmed);
      if (trimmed.startsWith('@')) {
        if (!cond) continue;
        const match = cond[2] === this.configId;
        if ((cond[1] === '^') === match) continue;
        trimmed = cond[3]!;
      }
      // Definitions: $NAME=value
      const def = /^\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed);
      if (def) {
        this.macros.set(def[1]!, this.substitute(def[2]!, file, lineNo).trim());
        continue;
      }
      // ~SEQ(var, [start, [step,]] end) text: the text once per value of $var.
      const seq = /^~SEQ(x?)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,([^)]*)\)\s*(.*)$/.exec(trimmed);
      if (trimmed.startsWith('~')) {
        if (!seq) {
          this.problems.push(`${file}:${lineNo}: Invalid ${trimmed.startsWith('~SEQ') ? '~SEQ' : '~ directive'} specification '${trimmed}'`);
          continue;
        }
        const nums = seq[3]!.split(',').map((x) => Number(this.substitute(x.trim(), file, lineNo)));
        if (nums.length < 1 || nums.length > 3 || nums.some((x) => !Number.isInteger(x))) {
          this.problems.push(`${file}:${lineNo}: Invalid ~SEQ definition '${trimmed}'`);
          continue;
        }
        let first: number, step: number, last: number;
        if (nums.length === 1) {
          last = nums[0]!;
          step = last < 1 ? -1 : 1;
          first = last < 0 ? -1 : 1;
        } else if (nums.length === 2) {
          [first, last] = nums as [number, number];
          step = first <= last ? 1 : -1;
        } else [first, step, last] = nums as [number, number, number];
        const out2: Array<{ text: string; lineNo: number; again: number }> = [];
        for (let v = first, guard = 0; step !== 0 && (step > 0 ? v <= last : v >= last) && guard < 65536; v += step, guard++) {
          this.macros.set(seq[2]!, seq[1] ? v.toString(16) : String(v));
          out2.push({ text: this.substitute(seq[4]!, file, lineNo), lineNo, again: 8 });
        }
        if (pending.length + out2.length > MAX_LINES) {
          this.problems.push(`${file}:${lineNo}: ~SEQ expands to too many lines - skipping`);
          continue;
        }
        pending.splice(k + 1, 0, ...out2);
        continue;
      }
      const before = trimmed;
      trimmed = this.substitute(trimmed, file, lineNo);
      const again = pending[k]!.again ?? 0;
      if (trimmed !== before && (trimmed.startsWith('@') || trimmed.startsWith('$') || trimmed.startsWith('~')) && again < 8) {
        // A definition expanded into a conditional, another definition or a sequence: read it again.
        pending.splice(k + 1, 0, { text: decomment(trimmed).text.trim(), lineNo, again: again + 1 });
        continue;
      }
      const words = splitWords(trimmed);
      if (words.length === 0) continue;
      if (words[0]!.text === 'include' && !words[0]!.quoted) {
        if (words.length < 2) {
          this.problems.push(`${file}:${lineNo}: include without a file name`);
          continue;
        }
        if (depth >= MAX_INCLUDE_DEPTH) {
          this.problems.push(`${file}:${lineNo}: include nested too deeply`);
          continue;
        }
        for (const w of words.slice(1)) {
          const pattern = isAbsolute(w.text) ? w.text : join(dirname(resolve(file)), w.text);
          const found = this.glob(pattern);
          if (found.length === 0) this.problems.push(`${file}:${lineNo}: include '${w.text}': no file matches`);
          for (const f of found) this.tokens(f, depth + 1, out);
        }
        this.macros.set('_PWD', dirname(resolve(file)));
        continue;
      }
      words.forEach((w, k) => out.push({ text: w.text, quoted: w.quoted, file, line: lineNo, bol: k === 0 }));
    }
  }
}

/** Builds nodes from the token stream. */
function buildTree(tokens: Token[], problems: string[]): ConfNode[] {
  let pos = 0;
  const isOpen = (t: Token | undefined): boolean => !!t && !t.quoted && t.text === '{';
  const isClose = (t: Token | undefined): boolean => !!t && !t.quoted && t.text === '}';

  const parseList = (depth: number, opener: Token | null): ConfNode[] => {
    const nodes: ConfNode[] = [];
    for (;;) {
      const t = tokens[pos];
      if (!t) {
        if (opener) problems.push(`${opener.file}:${opener.line}: missing '}' for the block opened here`);
        return nodes;
      }
      if (isClose(t)) {
        pos++;
        if (!opener) {
          problems.push(`${t.file}:${t.line}: Extra '}' found`);
          continue;
        }
        return nodes;
      }
      if (isOpen(t)) {
        // An anonymous block: keep its content as children of an unnamed node.
        pos++;
        const children = parseList(depth + 1, t);
        nodes.push({ keyword: '', args: [], children, file: t.file, line: t.line });
        continue;
      }
      // A statement: words up to the end of its line, '{' or '}'.
      pos++;
      const args: string[] = [];
      while (tokens[pos] && !tokens[pos]!.bol && !isOpen(tokens[pos]) && !isClose(tokens[pos])) args.push(tokens[pos++]!.text);
      const node: ConfNode = { keyword: t.text, args, children: null, file: t.file, line: t.line };
      if (isOpen(tokens[pos])) {
        const open = tokens[pos++]!;
        node.children = parseList(depth + 1, open);
      }
      nodes.push(node);
    }
  };
  return parseList(0, null);
}

export function parseKeepalivedText(text: string, fileName: string, opts: ParseOptions = {}): ParsedConf {
  const files = new Map<string, string>([[resolve(fileName), text]]);
  const baseRead = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  return parseKeepalivedFile(fileName, { ...opts, readFile: (p) => files.get(resolve(p)) ?? baseRead(p) });
}

export function parseKeepalivedFile(path: string, opts: ParseOptions = {}): ParsedConf {
  const reader = new Reader(opts);
  const tokens: Token[] = [];
  reader.tokens(path, 0, tokens);
  const problems = reader.problems;
  const nodes = buildTree(tokens, problems);
  return { nodes, problems };
}
