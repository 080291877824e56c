// dest-list (the kernel's add/edit/del order and hooks), OVERLOAD thresholds with hysteresis,
// the registry, and the GC catch-up of the locality table.

import { describe, expect, it } from 'vitest';
import { Clock } from '../../src/engine/clock.js';
import { Dest } from '../../src/engine/dest.js';
import type { Service } from '../../src/engine/service.js';
import { DEST_F_AVAILABLE, DEST_F_OVERLOAD, IPPROTO_TCP } from '../../src/model/constants.js';
import { addDest, changeScheduler, createService, delDest, editDest, findDest, paramsOf, releaseService } from '../../src/sched/dest-list.js';
import { LocalityTable } from '../../src/sched/locality-table.js';
import { overloadAfterBind, overloadAfterUnbind } from '../../src/sched/overload.js';
import { ALGORITHM_NAMES, SCHEDULER_NAMES, getScheduler } from '../../src/sched/registry.js';
import type { Scheduler } from '../../src/sched/scheduler.js';
import { add, dest, makeService, nameOf, pick, seq } from './helpers.js';

/** A scheduler that records its hook calls, to check dest-list's order. */
function recorder(log: string[]): Scheduler<null> {
  return {
    name: 'rec',
    initService: (svc: Service) => { log.push(`init ${svc.dests.map(nameOf).join('')}`); return null; },
    doneService: () => { log.push('done'); },
    addDest: (svc, _s, d) => { log.push(`add ${nameOf(d)} list=${svc.dests.map(nameOf).join('')}`); },
    delDest: (svc, _s, d) => { log.push(`del ${nameOf(d)} avail=${d.flags & DEST_F_AVAILABLE} list=${svc.dests.map(nameOf).join('')}`); },
    updDest: (_svc, _s, d) => { log.push(`upd ${nameOf(d)} w=${d.weight}`); },
    schedule: () => null,
  };
}

describe('dest-list', () => {
  it('adds at the head, then runs addDest; edits in place then updDest; deletes clear AVAILABLE, unlink, then delDest', () => {
    const log: string[] = [];
    const svc = createService(1, IPPROTO_TCP, 1, 80, 0, recorder(log), () => 0, new Clock());
    add(svc, 'A');
    add(svc, 'B');
    editDest(svc, dest(svc, 'A'), { ...paramsOf(dest(svc, 'A')), weight: 7 });
    const a = dest(svc, 'A');
    expect(delDest(svc, a)).toBe(true);
    expect(delDest(svc, a)).toBe(false);
    expect(log).toEqual(['init ', 'add A list=A', 'add B list=BA', 'upd A w=7', 'del A avail=0 list=B']);
    expect(a.svc).toBe(svc); // kept for the trash
  });

  it('lastWeight follows non-zero weights only (and any weight on add)', () => {
    const svc = makeService('rr');
    const d = new Dest(99, 0x0a000063, 80, 0);
    addDest(svc, d, { ...paramsOf(d), weight: 0 });
    expect(d.lastWeight).toBe(0);
    editDest(svc, d, { ...paramsOf(d), weight: 5 });
    expect(d.lastWeight).toBe(5);
    editDest(svc, d, { ...paramsOf(d), weight: 0 });
    expect([d.weight, d.lastWeight]).toEqual([0, 5]);
    expect(findDest(svc, 0x0a000063, 80)).toBe(d);
    expect(findDest(svc, 0x0a000063, 81)).toBeNull();
  });

  it('a re-added (trash) dest goes back to the head with its counters', () => {
    const svc = makeService('rr', { A: 1, B: 1, C: 1 }); // C B A
    const a = dest(svc, 'A');
    a.activeConns = 3;
    delDest(svc, a);
    addDest(svc, a);
    expect(svc.dests.map(nameOf).join('')).toBe('ACB');
    expect(a.activeConns).toBe(3);
    expect(a.flags & DEST_F_AVAILABLE).toBe(DEST_F_AVAILABLE);
  });

  it('changeScheduler: same scheduler keeps state; another runs done then init', () => {
    const svc = makeService('rr', { A: 1, B: 1, C: 1 });
    expect(seq(svc, 1)).toBe('C');
    expect(changeScheduler(svc, getScheduler('rr')!)).toBeNull();
    expect(seq(svc, 1)).toBe('B'); // cursor kept
    expect(changeScheduler(svc, getScheduler('wlc')!)).toBeNull();
    expect(changeScheduler(svc, getScheduler('rr')!)).toBeNull();
    expect(seq(svc, 1)).toBe('C'); // fresh cursor
  });

  it('releaseService: doneService, dests unlinked without delDest, AVAILABLE cleared', () => {
    const log: string[] = [];
    const svc = createService(1, IPPROTO_TCP, 1, 80, 0, recorder(log), () => 0, new Clock());
    add(svc, 'A');
    const gone = releaseService(svc);
    expect(gone.map(nameOf)).toEqual(['A']);
    expect(gone[0].flags & DEST_F_AVAILABLE).toBe(0);
    expect(svc.dests).toEqual([]);
    expect(log).toEqual(['init ', 'add A list=A', 'done']);
  });
});

describe('OVERLOAD thresholds (spec §1.4)', () => {
  function bind(d: Dest, n = 1): void {
    for (let i = 0; i < n; i++) { d.activeConns++; overloadAfterBind(d); }
  }
  function unbind(d: Dest, n = 1): void {
    for (let i = 0; i < n; i++) { d.activeConns--; overloadAfterUnbind(d); }
  }

  it('-x 10: the 10th connection sets OVERLOAD; with -y 0 it clears below 3/4 (total*4 < 30 → 7)', () => {
    const svc = makeService('wlc', { A: 1 });
    const d = dest(svc, 'A');
    editDest(svc, d, { ...paramsOf(d), uThreshold: 10 });
    bind(d, 9);
    expect(d.flags & DEST_F_OVERLOAD).toBe(0);
    bind(d);
    expect(d.flags & DEST_F_OVERLOAD).toBe(DEST_F_OVERLOAD);
    expect(pick(svc)).toBe('-');
    unbind(d, 2); // 8: 32 < 30 false
    expect(d.flags & DEST_F_OVERLOAD).toBe(DEST_F_OVERLOAD);
    unbind(d); // 7: 28 < 30 → clear
    expect(d.flags & DEST_F_OVERLOAD).toBe(0);
    expect(pick(svc)).toBe('A');
  });

  it('-x 10 -y 5: clears only when total < 5; inactive conns count too', () => {
    const d = new Dest(1, 1, 80, 1);
    d.uThreshold = 10;
    d.lThreshold = 5;
    d.inactConns = 4;
    bind(d, 6); // total 10
    expect(d.flags & DEST_F_OVERLOAD).toBe(DEST_F_OVERLOAD);
    unbind(d, 5); // total 5: not < 5
    expect(d.flags & DEST_F_OVERLOAD).toBe(DEST_F_OVERLOAD);
    unbind(d); // 4
    expect(d.flags & DEST_F_OVERLOAD).toBe(0);
  });

  it('no thresholds: any unbind clears; an edit raising uThreshold or setting 0 clears, lowering does not', () => {
    const svc = makeService('wlc', { A: 1 });
    const d = dest(svc, 'A');
    d.flags |= DEST_F_OVERLOAD;
    d.activeConns = 3;
    unbind(d);
    expect(d.flags & DEST_F_OVERLOAD).toBe(0);
    editDest(svc, d, { ...paramsOf(d), uThreshold: 10 });
    d.flags |= DEST_F_OVERLOAD;
    editDest(svc, d, { ...paramsOf(d), uThreshold: 8 }); // lowered: kept
    expect(d.flags & DEST_F_OVERLOAD).toBe(DEST_F_OVERLOAD);
    editDest(svc, d, { ...paramsOf(d), uThreshold: 8 }); // same: kept
    expect(d.flags & DEST_F_OVERLOAD).toBe(DEST_F_OVERLOAD);
    editDest(svc, d, { ...paramsOf(d), uThreshold: 9 }); // raised: cleared
    expect(d.flags & DEST_F_OVERLOAD).toBe(0);
    d.flags |= DEST_F_OVERLOAD;
    editDest(svc, d, { ...paramsOf(d), uThreshold: 0 });
    expect(d.flags & DEST_F_OVERLOAD).toBe(0);
  });
});

describe('registry', () => {
  it('knows every ipvsadm -s name plus none, each object named as looked up', () => {
    expect([...SCHEDULER_NAMES].sort()).toEqual(
      ['dh', 'fo', 'lblc', 'lblcr', 'lc', 'mh', 'none', 'nq', 'ovf', 'rr', 'sed', 'sh', 'twos', 'wlc', 'wrr'].sort(),
    );
    expect(ALGORITHM_NAMES).not.toContain('none');
    for (const n of SCHEDULER_NAMES) expect(getScheduler(n)!.name).toBe(n);
    expect(getScheduler('WLC')).toBeNull();
    expect(getScheduler('')).toBeNull();
    expect(getScheduler('constructor')).toBeNull();
  });

  it('none never schedules', () => {
    expect(pick(makeService('none', { A: 1 }))).toBe('-');
  });

  it('every scheduler survives an empty service, an all-weight-0 service and list churn', () => {
    for (const n of SCHEDULER_NAMES) {
      const svc = makeService(n);
      expect(pick(svc), n).toBe('-');
      add(svc, 'A', 0);
      add(svc, 'B', 0);
      expect(pick(svc), n).toBe('-');
      editDest(svc, dest(svc, 'A'), { ...paramsOf(dest(svc, 'A')), weight: 3 });
      add(svc, 'C', 1);
      for (let i = 0; i < 5; i++) pick(svc);
      delDest(svc, dest(svc, 'C'));
      delDest(svc, dest(svc, 'B'));
      const got = pick(svc);
      // none schedules nothing; dh keys by destination address: A holds every bucket now
      expect(got, n).toBe(n === 'none' ? '-' : 'A');
    }
  });
});

describe('locality table GC catch-up', () => {
  it('a long idle gap gives the same table as ticking through it', () => {
    const mk = () => {
      const t = new LocalityTable(0);
      for (let i = 0; i < 50; i++) t.insert(0x0b000000 + i, i * 3_600_000); // lastuse hourly
      return t;
    };
    const jump = mk();
    const step = mk();
    const end = 10 * 86_400_000 + 123_456;
    jump.runTimers(end);
    for (let t = 0; t <= end; t += 3_600_000) step.runTimers(t);
    step.runTimers(end);
    expect([jump.used, jump.counter, jump.rover, jump.nextTickMs]).toEqual([step.used, step.counter, step.rover, step.nextTickMs]);
    // at 10 days every entry (last used within the first 50 hours) is long expired
    expect(jump.used).toBe(0);
  });
});
