// The engine's notion of time. One object per engine, advanced by the I/O loop once per batch
// (wall clock in `uvs run`, the capture's timestamps in `uvs replay`, whatever a test says), so
// nothing on the hot path reads the system clock.

export class Clock {
  nowMs: number;

  constructor(nowMs = 0) {
    this.nowMs = nowMs;
  }
}
