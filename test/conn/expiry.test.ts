import { describe, expect, it } from 'vitest';
import { TimerWheel, WHEEL_GRANULARITY_MS, WHEEL_SLOTS } from '../../src/conn/expiry.js';

class Owner {
  fired: Array<[number, number]> = [];
  constructor(readonly wheel: TimerWheel, readonly rearm = new Map<number, number>()) {}
  onTimer(i: number, now: number): void {
    this.fired.push([i, now]);
    const again = this.rearm.get(i);
    if (again !== undefined) {
      this.rearm.delete(i);
      this.wheel.expires[i] = this.wheel.expires[i]! + again;
      this.wheel.insert(i);
    }
  }
}

describe('TimerWheel', () => {
  it('fires each timer once its time has passed, in exact mode at the exact tick', () => {
    const exp = new Float64Array(8);
    const w = new TimerWheel(exp, 0, true);
    const o = new Owner(w);
    exp[0] = 1000; exp[1] = 1050; exp[2] = 500_000;
    w.insert(0); w.insert(1); w.insert(2);
    w.tick(999, o);
    expect(o.fired).toEqual([]);
    w.tick(1000, o);
    expect(o.fired).toEqual([[0, 1000]]);
    w.tick(1049, o);
    expect(o.fired.length).toBe(1);
    w.tick(1050, o);
    expect(o.fired).toEqual([[0, 1000], [1, 1050]]);
    // beyond one turn of the wheel
    w.tick(WHEEL_SLOTS * WHEEL_GRANULARITY_MS, o);
    expect(o.fired.length).toBe(2);
    w.tick(500_000, o);
    expect(o.fired.map((f) => f[0])).toEqual([0, 1, 2]);
  });

  it('lazy re-arming: a later expiry written without moving the entry is honoured', () => {
    const exp = new Float64Array(4);
    const w = new TimerWheel(exp, 0, false);
    const o = new Owner(w);
    exp[0] = 1000; w.insert(0);
    exp[0] = 9000;
    w.tick(5000, o);
    expect(o.fired).toEqual([]);
    w.tick(9100, o);
    expect(o.fired).toEqual([[0, 9100]]);
  });

  it('re-armed timers (owner sets a later expiry) fire again; remove() takes an entry out', () => {
    const exp = new Float64Array(4);
    const w = new TimerWheel(exp, 0, true);
    const o = new Owner(w, new Map([[0, 60_000]]));
    exp[0] = 100; exp[1] = 200;
    w.insert(0); w.insert(1);
    w.remove(1);
    expect(w.inWheel(1)).toBe(false);
    w.tick(300, o);
    expect(o.fired).toEqual([[0, 300]]);
    w.tick(60_099, o);
    expect(o.fired.length).toBe(1);
    w.tick(60_100, o);
    expect(o.fired).toEqual([[0, 300], [0, 60_100]]);
  });

  it('a jump of days walks each slot once and fires everything due', () => {
    const exp = new Float64Array(1000);
    const w = new TimerWheel(exp, 0, false);
    const o = new Owner(w);
    for (let i = 0; i < 1000; i++) { exp[i] = 1000 + i * 3_000; w.insert(i); }
    w.tick(86_400_000 * 3, o);
    expect(o.fired.length).toBe(1000);
  });
});

describe('TimerWheel ordering across a clock jump', () => {
  it('fires timers in due order even when one was re-armed lazily in an earlier slot', () => {
    const exp = new Float64Array(4);
    const w = new TimerWheel(exp, 0, true);
    const o = new Owner(w);
    exp[0] = 300; w.insert(0);
    exp[1] = 2_000; w.insert(1);
    exp[0] = 5_000; // lazily pushed back: still filed at 300
    w.tick(10_000, o);
    expect(o.fired.map((f) => f[0])).toEqual([1, 0]);
  });
});
