// The engine's counters, in shared memory so the control thread reads them without messages
// (spec §7.1): per service, per dest and a total, five 64-bit-safe counters each (conns, inpkts,
// outpkts, inbytes, outbytes) in one Float64Array; drop reasons and verdicts in another.
// Everything is indexed by slot numbers fixed at start, so the hot path only adds to an element.

export const STAT_CONNS = 0;
export const STAT_INPKTS = 1;
export const STAT_OUTPKTS = 2;
export const STAT_INBYTES = 3;
export const STAT_OUTBYTES = 4;
export const STAT_FIELDS = 5;

export class EngineStats {
  readonly maxServices: number;
  readonly maxDests: number;
  /** [service slots][dest slots][total] × STAT_FIELDS. */
  readonly stats: Float64Array;
  readonly destBase: number;
  readonly totalBase: number;
  /** Drop counters by reason code. */
  readonly drops: Float64Array;
  /** Verdict counters (VERDICT_*). */
  readonly verdicts: Float64Array;
  readonly buffers: { stats: SharedArrayBuffer; drops: SharedArrayBuffer; verdicts: SharedArrayBuffer };

  constructor(maxServices: number, maxDests: number, reasons: number, verdicts: number) {
    this.maxServices = maxServices;
    this.maxDests = maxDests;
    const sb = new SharedArrayBuffer((maxServices + maxDests + 1) * STAT_FIELDS * 8);
    const db = new SharedArrayBuffer(reasons * 8);
    const vb = new SharedArrayBuffer(verdicts * 8);
    this.buffers = { stats: sb, drops: db, verdicts: vb };
    this.stats = new Float64Array(sb);
    this.drops = new Float64Array(db);
    this.verdicts = new Float64Array(vb);
    this.destBase = maxServices * STAT_FIELDS;
    this.totalBase = (maxServices + maxDests) * STAT_FIELDS;
  }

  /** Forget a slot's counters when it is reused for a new object. */
  clearService(slot: number): void {
    this.stats.fill(0, slot * STAT_FIELDS, (slot + 1) * STAT_FIELDS);
  }

  clearDest(slot: number): void {
    const o = this.destBase + slot * STAT_FIELDS;
    this.stats.fill(0, o, o + STAT_FIELDS);
  }
}
