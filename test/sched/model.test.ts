// Property test: rr and wrr on the array-backed list give exactly the answers of a model written
// the kernel's way — a circular doubly-linked list with a head sentinel, new dests linked at the
// head, the rr cursor / wrr `cl` as node pointers, and ip_vs_rr_del_dest()'s `p->next->prev` — over
// random sequences of add, delete, weight edit, OVERLOAD flips and schedules.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dest } from '../../src/engine/dest.js';
import type { Service } from '../../src/engine/service.js';
import { DEST_F_OVERLOAD } from '../../src/model/constants.js';
import { addDest, delDest, editDest, paramsOf } from '../../src/sched/dest-list.js';
import { makeService, pkt } from './helpers.js';

interface Node { name: number; weight: number; overload: boolean; prev: Node; next: Node }

class KList {
  readonly head: Node;
  constructor() {
    const h = { name: -1, weight: 0, overload: false } as Node;
    h.prev = h;
    h.next = h;
    this.head = h;
  }
  add(name: number, weight: number): Node {
    const n: Node = { name, weight, overload: false, prev: this.head, next: this.head.next };
    this.head.next.prev = n;
    this.head.next = n;
    return n;
  }
  del(n: Node): void {
    // list_del_rcu: n.next is kept valid
    n.prev.next = n.next;
    n.next.prev = n.prev;
  }
  *nodes(): Generator<Node> {
    for (let p = this.head.next; p !== this.head; p = p.next) yield p;
  }
}

class KRr {
  cursor: Node;
  constructor(readonly l: KList) { this.cursor = l.head; }
  onDel(n: Node): void { if (this.cursor === n) this.cursor = n.next.prev; }
  schedule(): number {
    const head = this.l.head;
    const last = this.cursor;
    let d = last;
    for (let pass = 0; pass < 2; pass++) {
      for (d = d.next; d !== head; d = d.next) {
        if (!d.overload && d.weight > 0) { this.cursor = d; return d.name; }
        if (d === last) return -1;
      }
      if (this.cursor === head) break; // p == &svc->destinations: no second pass
    }
    return -1;
  }
}

function gcd(a: number, b: number): number { while (b) [a, b] = [b, a % b]; return a; }

class KWrr {
  cl: Node; cw = 0; mw = 0; di = 1;
  constructor(readonly l: KList) {
    this.cl = l.head;
    this.recalc();
    this.cw = this.mw;
  }
  private recalc(): void {
    let g = 0, m = 0;
    for (const d of this.l.nodes()) {
      if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
      if (d.weight > m) m = d.weight;
    }
    this.di = g || 1;
    this.mw = m - (this.di - 1);
  }
  changed(): void {
    this.cl = this.l.head;
    this.recalc();
    if (this.cw > this.mw || !this.cw) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }
  schedule(): number {
    const head = this.l.head;
    let d = this.cl;
    if (this.mw === 0) return -1;
    const last = d;
    let stop: Node | null = null;
    let lastPass = false, restarted = false;
    for (let guard = 0; guard < 100000; guard++) {
      for (d = d.next; d !== head; d = d.next) {
        if (!d.overload && d.weight >= this.cw) { this.cl = d; return d.name; }
        if (d === stop) { this.cl = d; return -1; }
      }
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === head) { this.cl = d; return -1; }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && last !== head) stop = last;
    }
    throw new Error('model loop');
  }
}

type Op =
  | { k: 'add'; w: number }
  | { k: 'del'; i: number }
  | { k: 'edit'; i: number; w: number }
  | { k: 'ovl'; i: number }
  | { k: 'sched'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('add' as const), w: fc.integer({ min: 0, max: 6 }) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('del' as const), i: fc.nat(20) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('edit' as const), i: fc.nat(20), w: fc.integer({ min: 0, max: 6 }) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('ovl' as const), i: fc.nat(20) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('sched' as const), n: fc.integer({ min: 1, max: 12 }) }), weight: 4 },
);

function runBoth(schedName: 'rr' | 'wrr', ops: Op[]): void {
  const svc: Service = makeService(schedName);
  const l = new KList();
  const model = schedName === 'rr' ? new KRr(l) : new KWrr(l);
  const nodes = new Map<number, Node>();
  const dests = new Map<number, Dest>();
  let next = 1;
  const p = pkt();
  const live = () => [...nodes.keys()];
  for (const op of ops) {
    if (op.k === 'add') {
      const name = next++;
      const d = new Dest(name, 0x0a000000 + name, 80, op.w);
      dests.set(name, d);
      addDest(svc, d);
      nodes.set(name, l.add(name, op.w));
      if (model instanceof KWrr) model.changed();
    } else if (op.k === 'sched') {
      for (let i = 0; i < op.n; i++) {
        const got = svc.scheduler.schedule(svc, svc.schedState, p);
        expect(got === null ? -1 : got.id).toBe(model.schedule());
      }
    } else {
      const names = live();
      if (names.length === 0) continue;
      const name = names[op.i % names.length];
      const n = nodes.get(name)!;
      const d = dests.get(name)!;
      if (op.k === 'del') {
        delDest(svc, d);
        l.del(n);
        nodes.delete(name);
        if (model instanceof KRr) model.onDel(n);
        else model.changed();
      } else if (op.k === 'edit') {
        editDest(svc, d, { ...paramsOf(d), weight: op.w });
        n.weight = op.w;
        n.overload = false; // __ip_vs_update_dest(): uThreshold 0 clears OVERLOAD
        if (model instanceof KWrr) model.changed();
      } else {
        d.flags ^= DEST_F_OVERLOAD;
        n.overload = !n.overload;
      }
    }
  }
}

describe('array list vs kernel linked-list model', () => {
  it('rr', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 10, maxLength: 80, size: 'max' }), (ops) => runBoth('rr', ops)), { numRuns: 500, seed: 42 });
  });
  it('wrr', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 10, maxLength: 80, size: 'max' }), (ops) => runBoth('wrr', ops)), { numRuns: 500, seed: 43 });
  });
});
