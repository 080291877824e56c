// The part of libpopt that ipvsadm relies on, so argument words are split exactly as ipvsadm
// sees them: short options bundle (`-Ln`, `-At`; an option taking an argument takes the rest of
// its word, else the next word even when that starts with '-'), long options with `=value` or a
// following word, POPT_ARGFLAG_OPTIONAL arguments taken only from a next word not starting with
// '-', `--` ending options, and every non-option word kept as a leftover argument (popt permutes).

export type ArgKind = 'none' | 'string' | 'optional';

export interface PoptOption {
  long: string;
  short: string;
  kind: ArgKind;
  /** The value poptGetNextOpt returns: the short letter, or a TAG_ name. */
  tag: string;
}

export type PoptEvent =
  /** `word`: the last argv word consumed (what poptBadOption() reports). */
  | { type: 'opt'; tag: string; arg: string | null; word: string }
  | { type: 'end' }
  | { type: 'error'; message: string; word: string };

export const POPT_ERROR_NOARG = 'missing argument';
export const POPT_ERROR_BADOPT = 'unknown option';
export const POPT_ERROR_UNWANTEDARG = 'option does not take an argument';

export class Popt {
  private next = 0;
  private cluster: string | null = null;
  private clusterWord = '';
  private done = false;
  readonly leftovers: string[] = [];
  private leftoverPos = 0;

  constructor(
    private readonly argv: readonly string[],
    private readonly table: readonly PoptOption[],
  ) {}

  /** poptGetNextOpt. */
  nextOpt(): PoptEvent {
    for (;;) {
      if (this.cluster !== null && this.cluster.length > 0) {
        const ch = this.cluster[0]!;
        const rest = this.cluster.slice(1);
        const word = this.clusterWord;
        const opt = this.table.find((o) => o.short === ch);
        if (!opt) {
          this.cluster = null;
          return { type: 'error', message: POPT_ERROR_BADOPT, word };
        }
        if (opt.kind === 'none') {
          this.cluster = rest;
          return { type: 'opt', tag: opt.tag, arg: null, word };
        }
        this.cluster = null;
        if (rest.length > 0) return { type: 'opt', tag: opt.tag, arg: rest.startsWith('=') ? rest.slice(1) : rest, word };
        return this.takeArg(opt, word);
      }
      this.cluster = null;
      if (this.next >= this.argv.length) return { type: 'end' };
      const word = this.argv[this.next++]!;
      if (this.done || word[0] !== '-' || word === '-') {
        this.leftovers.push(word);
        continue;
      }
      if (word === '--') {
        this.done = true;
        continue;
      }
      if (word.startsWith('--')) {
        const eq = word.indexOf('=');
        const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
        const opt = this.table.find((o) => o.long === name);
        if (!opt) return { type: 'error', message: POPT_ERROR_BADOPT, word };
        if (eq >= 0) {
          if (opt.kind === 'none') return { type: 'error', message: POPT_ERROR_UNWANTEDARG, word };
          return { type: 'opt', tag: opt.tag, arg: word.slice(eq + 1), word };
        }
        if (opt.kind === 'none') return { type: 'opt', tag: opt.tag, arg: null, word };
        return this.takeArg(opt, word);
      }
      this.cluster = word.slice(1);
      this.clusterWord = word;
    }
  }

  private takeArg(opt: PoptOption, word: string): PoptEvent {
    if (this.next >= this.argv.length) {
      if (opt.kind === 'optional') return { type: 'opt', tag: opt.tag, arg: null, word };
      return { type: 'error', message: POPT_ERROR_NOARG, word };
    }
    const candidate = this.argv[this.next]!;
    if (opt.kind === 'optional' && candidate.startsWith('-')) return { type: 'opt', tag: opt.tag, arg: null, word };
    this.next++;
    // poptBadOption() names the last word consumed, here the argument itself.
    return { type: 'opt', tag: opt.tag, arg: candidate, word: candidate };
  }

  /** poptGetArg: the next leftover word, or null. */
  getArg(): string | null {
    if (this.leftoverPos < this.leftovers.length) return this.leftovers[this.leftoverPos++]!;
    return null;
  }
}
