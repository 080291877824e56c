// lblc and lblcr: caching by destination address, "overloaded twice" re-scheduling, replication,
// set shrinking after lblcr_expiration, and table GC across the 60 s timer / 30-tick full sweep.
// All times are the injected Clock; expected boundaries are hand-computed in the comments.

import { describe, expect, it } from 'vitest';
import { Clock } from '../../src/engine/clock.js';
import { DEST_F_OVERLOAD } from '../../src/model/constants.js';
import { delDest } from '../../src/sched/dest-list.js';
import { LBLC_MAX_SIZE, type LocalityTable } from '../../src/sched/locality-table.js';
import { dest, makeService, nameOf, pick, pkt } from './helpers.js';

const DAY = 86_400_000;
const VIP2 = 0xc0a80002;

function table(svc: { schedState: unknown }): LocalityTable {
  return svc.schedState as LocalityTable;
}

describe('lblc', () => {
  it('caches the wlc choice per destination address and sticks to it', () => {
    const clock = new Clock(0);
    const svc = makeService('lblc', { A: 1, B: 1, C: 1 }, { clock }); // list C B A
    expect(pick(svc)).toBe('C');
    dest(svc, 'C').activeConns = 1; // wlc would now say B, but C is cached (1 > 1 is false)
    expect(pick(svc)).toBe('C');
    // another destination address gets its own wlc choice
    expect(pick(svc, pkt(1, 1, VIP2))).toBe('B');
    expect(table(svc).used).toBe(2);
  });

  it('re-schedules when the cached dest is overloaded twice; the OVERLOAD flag itself is ignored', () => {
    const svc = makeService('lblc', { A: 1, B: 1, C: 1 });
    expect(pick(svc)).toBe('C');
    dest(svc, 'C').flags |= DEST_F_OVERLOAD;
    expect(pick(svc)).toBe('C'); // cached: OVERLOAD not checked
    dest(svc, 'C').flags &= ~DEST_F_OVERLOAD;
    dest(svc, 'C').activeConns = 2; // 2 > weight 1, and A has 0*2 < 1 → overloaded twice
    expect(pick(svc)).toBe('B');
    expect(pick(svc)).toBe('B'); // entry replaced
    // kernel quirk kept: the replace path frees the old entry without decrementing `entries`
    expect(table(svc).used).toBe(1);
    expect(table(svc).entries).toBe(2);
  });

  it('not overloaded twice when no dest is under half its weight', () => {
    const svc = makeService('lblc', { A: 1, B: 1 });
    expect(pick(svc)).toBe('B');
    dest(svc, 'B').activeConns = 5;
    dest(svc, 'A').activeConns = 1; // 1*2 < 1 false; B: 5*2 < 1 false
    expect(pick(svc)).toBe('B');
  });

  it('weight 0 or deleted cached dest → wlc again', () => {
    const svc = makeService('lblc', { A: 1, B: 1 });
    expect(pick(svc)).toBe('B');
    dest(svc, 'B').weight = 0;
    expect(pick(svc)).toBe('A');
    dest(svc, 'B').weight = 1;
    expect(pick(svc)).toBe('A'); // now A is cached
    delDest(svc, dest(svc, 'A'));
    expect(pick(svc)).toBe('B');
  });

  it('full sweep only every 30th tick: entry used at t=1 s survives until the sweep at 88 200 s', () => {
    // Ticks every 60 s from t=60 s; counter starts at 1 and the 30th, 60th, ... tick sweep
    // (t = 1800 s * m). The entry expires when now >= 1 000 + 86 400 000 ms: the sweep at
    // 86 400 000 is too early, the next one is at 88 200 000.
    const mk = () => {
      const clock = new Clock(0);
      const svc = makeService('lblc', { A: 1, B: 1, C: 1 }, { clock });
      clock.nowMs = 1000;
      expect(pick(svc)).toBe('C');
      dest(svc, 'C').activeConns = 1; // wlc now prefers B: a fresh entry would say B
      return { clock, svc };
    };
    const s1 = mk();
    s1.clock.nowMs = 88_200_000 - 1;
    expect(pick(s1.svc)).toBe('C');
    const s2 = mk();
    s2.clock.nowMs = 88_200_000;
    expect(pick(s2.svc)).toBe('B');
    expect(table(s2.svc).used).toBe(1);
  });

  it('a touch resets the expiry (lastuse), the sweep deletes on now >= lastuse + 24 h exactly', () => {
    const clock = new Clock(0);
    const svc = makeService('lblc', { A: 1, B: 1 }, { clock }); // list B A
    expect(pick(svc)).toBe('B'); // lastuse 0
    dest(svc, 'B').activeConns = 1;
    clock.nowMs = DAY; // sweep at tick 1440 (t = 86 400 000): 86 400 000 >= 0 + DAY → deleted
    expect(pick(svc)).toBe('A');
  });

  it('over 16384 entries: the partial sweep drops 6-minute-idle entries, at least (n - 16384) * 4/3', () => {
    const clock = new Clock(0);
    const svc = makeService('lblc', { A: 1 }, { clock });
    const n = LBLC_MAX_SIZE + 16;
    for (let i = 0; i < n; i++) pick(svc, pkt(1, 1, 0x0b000000 + i));
    const tbl = table(svc);
    expect(tbl.used).toBe(n);
    clock.nowMs = 5 * 60_000; // ticks 1..5: goal 21, but nothing idle for 6 minutes yet
    pick(svc, pkt(1, 1, 0x0b000000)); // touches one entry
    expect(tbl.used).toBe(n);
    expect(tbl.counter).toBe(1); // over max_size: the counter does not advance
    clock.nowMs = 6 * 60_000; // tick 6: goal = 16 * 4 / 3 = 21; buckets 1, 2, ... until goal <= 0
    pick(svc, pkt(1, 1, 0x0b000000));
    const dropped = n - tbl.used;
    expect(dropped).toBeGreaterThanOrEqual(21);
    expect(dropped).toBeLessThan(21 + 64); // stops after the bucket that reached the goal
    expect(tbl.rover).toBeGreaterThan(0);
    expect(tbl.rover).toBeLessThan(8);
  });
});

describe('lblcr', () => {
  it('replicates: an overloaded-twice member makes wlc add a dest to the set', () => {
    const clock = new Clock(0);
    const svc = makeService('lblcr', { A: 1, B: 1, C: 1 }, { clock }); // list C B A
    expect(pick(svc)).toBe('C'); // set {C}
    dest(svc, 'C').activeConns = 2; // > weight 1; A has 0*2 < 1
    clock.nowMs = 1000;
    expect(pick(svc)).toBe('B'); // set {B, C}, lastmod 1000
    const tbl = table(svc);
    const e = tbl.get(0xc0a80001);
    expect(tbl.setSize[e]).toBe(2);
    expect(nameOf(tbl.mDest[tbl.setHead[e]])).toBe('B'); // newest member first
    // setMin over {B, C}: B (0) < C (512) → B
    expect(pick(svc)).toBe('B');
  });

  it('shrinks the set strictly after lastmod + 24 h: drops the most loaded member', () => {
    const mk = () => {
      const clock = new Clock(0);
      const svc = makeService('lblcr', { A: 1, B: 1, C: 1 }, { clock });
      pick(svc);
      dest(svc, 'C').activeConns = 2;
      clock.nowMs = 1000;
      pick(svc); // {B, C}, lastmod 1000
      clock.nowMs = 2000;
      pick(svc); // lastuse 2000 (keeps the entry alive through the sweep at 86 400 000)
      return { clock, svc };
    };
    const e = (svc: { schedState: unknown }) => table(svc).get(0xc0a80001);
    const s1 = mk();
    s1.clock.nowMs = 1000 + DAY; // not after: no shrink
    expect(pick(s1.svc)).toBe('B');
    expect(table(s1.svc).setSize[e(s1.svc)]).toBe(2);
    const s2 = mk();
    s2.clock.nowMs = 1000 + DAY + 1;
    expect(pick(s2.svc)).toBe('B'); // setMin chose B first; setMax (C, 512) removed
    const t2 = table(s2.svc);
    expect(t2.setSize[e(s2.svc)]).toBe(1);
    expect(nameOf(t2.mDest[t2.setHead[e(s2.svc)]])).toBe('B');
    expect(t2.setLastmod[e(s2.svc)]).toBe(1000 + DAY + 1);
  });

  it('may return the member it just removed (setMin is chosen before the shrink)', () => {
    const clock = new Clock(0);
    const svc = makeService('lblcr', { A: 1, B: 1, C: 1 }, { clock });
    pick(svc); // {C}
    dest(svc, 'C').activeConns = 2;
    pick(svc); // {B, C}
    dest(svc, 'C').activeConns = 0; // both idle: setMin = B (first), setMax = B (first, C not more loaded)
    clock.nowMs = 1000; // sweep-free, but lastmod 0 + 24 h not passed
    expect(pick(svc)).toBe('B');
    clock.nowMs = DAY - 1; // entry lastuse 1000: survives the sweep at 84 600 000
    expect(pick(svc)).toBe('B');
    clock.nowMs = DAY + 1; // now > 0 + DAY: shrink removes B, yet B is returned
    expect(pick(svc)).toBe('B');
    const tbl = table(svc);
    const e = tbl.get(0xc0a80001);
    expect(tbl.setSize[e]).toBe(1);
    expect(nameOf(tbl.mDest[tbl.setHead[e]])).toBe('C');
  });

  it('setMin skips OVERLOADed and deleted members; empty choice → wlc and join', () => {
    const svc = makeService('lblcr', { A: 1, B: 1 }); // list B A
    expect(pick(svc)).toBe('B'); // {B}
    dest(svc, 'B').flags |= DEST_F_OVERLOAD; // setMin → null → wlc (skips B) → A joins
    expect(pick(svc)).toBe('A');
    dest(svc, 'B').flags &= ~DEST_F_OVERLOAD;
    expect(pick(svc)).toBe('A'); // {A, B}: A first, both idle → A
    delDest(svc, dest(svc, 'A')); // A stays in the set but is not AVAILABLE
    expect(pick(svc)).toBe('B');
  });

  it('entries expire with the full sweep like lblc', () => {
    const clock = new Clock(0);
    const svc = makeService('lblcr', { A: 1, B: 1 }, { clock });
    expect(pick(svc)).toBe('B');
    dest(svc, 'B').activeConns = 1; // cached B sticks, a fresh wlc says A
    clock.nowMs = DAY - 1;
    expect(pick(svc)).toBe('B'); // lastuse → DAY - 1
    clock.nowMs = 2 * DAY - 1; // sweeps at 1800 s multiples; 2*DAY - 1 - (DAY - 1) = DAY but last sweep at 171 000 000 < 172 799 999
    expect(pick(svc)).toBe('B');
    clock.nowMs = 3 * DAY + 1800_000;
    expect(pick(svc)).toBe('A');
  });
});

describe('DIFF: bounded locality table', () => {
  it('when ENTRY_CAP entries exist nothing new is cached, but the wlc dest is still returned', async () => {
    const { ENTRY_CAP } = await import('../../src/sched/locality-table.js');
    const svc = makeService('lblc', { A: 1, B: 1 }); // clock stays at 0: no GC tick runs
    for (let i = 0; i < ENTRY_CAP; i++) pick(svc, pkt(1, 1, 0x0b000000 + i));
    const tbl = table(svc);
    expect(tbl.used).toBe(ENTRY_CAP);
    expect(pick(svc, pkt(1, 1, 0x0c000000))).toBe('B');
    expect(tbl.used).toBe(ENTRY_CAP);
    expect(tbl.get(0x0c000000)).toBe(-1);
    // existing entries still work
    expect(tbl.get(0x0b000000)).toBeGreaterThanOrEqual(0);
  });
});
