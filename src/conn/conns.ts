// The life of a conn, as ip_vs_conn.c: create (ip_vs_conn_new: state NONE, 3 s timeout, bound to
// its dest, hashed unless ONE_PACKET), bind/unbind the dest (ActiveConn / InActConn / PersistConn
// and the OVERLOAD flag, §4.5 and §1.4), attach to a controlling template (n_control), the
// protocol state transitions (TCP table, UDP single state, template ASSURED), timer restarts
// (expires = now + timeout of the current state, written lazily for the timer wheel) and expiry
// (ip_vs_conn_expire: a conn that still controls others is re-armed for 60 s, otherwise it is
// detached from its template, unbound and freed).

import type { Clock } from '../engine/clock.js';
import type { Dest } from '../engine/dest.js';
import {
  CONN_F_FWD_MASK, CONN_F_INACTIVE, CONN_F_MASQ, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_TEMPLATE,
  DEST_F_AVAILABLE, DEST_F_OVERLOAD, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP,
} from '../model/constants.js';
import type { ConnSnapshot } from '../model/snapshot.js';
import { overloadAfterBind, overloadAfterUnbind } from '../sched/overload.js';
import { TimerWheel, type TimerOwner } from './expiry.js';
import { CONN_F_LINKED, CONN_F_USED, ConnTable, MAX_DEST_SLOTS } from './table.js';
import {
  CTPL_S_ASSURED, CTPL_STATE_NAMES, DIR_INPUT_ONLY, DIR_OUTPUT, ProtoTimeouts, TCP_NEXT_STATE, TCP_S_LAST,
  TCP_STATE_ACTIVE, TCP_STATE_NAMES, TCP_S_CLOSE, tcpEvent,
} from './tcp-state.js';

/** ip_vs_conn_new(): every conn starts with a 3 s timeout until its first state transition. */
export const CONN_INITIAL_TIMEOUT_MS = 3000;
/** ip_vs_conn_expire(): a conn that still controls others is re-armed for 60 s. */
export const CONN_CONTROL_REARM_MS = 60_000;

/** Per-dest conn counters mirrored into shared memory: activeConns, inactConns, persistConns, flags. */
export const DEST_CONN_FIELDS = 4;

export class Conns implements TimerOwner {
  readonly table: ConnTable;
  readonly wheel: TimerWheel;
  readonly timeouts: ProtoTimeouts;
  readonly clock: Clock;
  /** Dests by slot (Dest.slot); null for a free slot. */
  readonly dests: Array<Dest | null>;
  /** DEST_CONN_FIELDS Int32 per dest slot, readable by another thread. */
  readonly destConns: Int32Array;
  /** Conns that could not be created because the table was full. */
  fullDrops: number;
  /** Timers fired since start. */
  expired: number;

  constructor(capacity: number, maxDests: number, clock: Clock, opts: { seed?: number; exactTimers?: boolean; destConns?: Int32Array } = {}) {
    if (maxDests > MAX_DEST_SLOTS) throw new Error(`at most ${MAX_DEST_SLOTS} dest slots, got ${maxDests}`);
    this.table = new ConnTable(capacity, opts.seed);
    this.clock = clock;
    this.wheel = new TimerWheel(this.table.expires, clock.nowMs, opts.exactTimers ?? false);
    this.timeouts = new ProtoTimeouts();
    this.dests = new Array<Dest | null>(maxDests).fill(null);
    this.destConns = opts.destConns ?? new Int32Array(new SharedArrayBuffer(maxDests * DEST_CONN_FIELDS * 4));
    this.fullDrops = 0;
    this.expired = 0;
  }

  /**
   * ip_vs_conn_new(): a conn bound to the dest in slot destSlot. Returns the slot, or -1 when the
   * table is full (counted in fullDrops). ONE_PACKET conns are not hashed.
   */
  create(proto: number, caddr: number, cport: number, vaddr: number, vport: number, daddr: number, dport: number,
    flags: number, destSlot: number, fwmark: number): number {
    const t = this.table;
    const i = t.alloc();
    if (i < 0) {
      this.fullDrops++;
      return -1;
    }
    t.setProto(i, proto);
    t.caddr[i] = caddr;
    t.cport[i] = cport;
    t.vaddr[i] = vaddr;
    t.vport[i] = vport;
    t.setDaddr(i, daddr);
    t.dport[i] = dport;
    t.fwmark[i] = fwmark;
    t.setTimeoutMs(i, CONN_INITIAL_TIMEOUT_MS);
    t.setFlags(i, CONN_F_USED | (flags & 0x7fff));
    if (destSlot >= 0) this.bindDest(i, destSlot);
    if ((t.flagsOf(i) & CONN_F_ONE_PACKET) === 0) t.link(i);
    t.expires[i] = this.clock.nowMs + CONN_INITIAL_TIMEOUT_MS;
    this.wheel.insert(i);
    return i;
  }

  /** ip_vs_bind_dest(): flags inherited from the dest, counters, OVERLOAD. */
  private bindDest(i: number, slot: number): void {
    const d = this.dests[slot]!;
    const t = this.table;
    let cf = (d.fwd & CONN_F_FWD_MASK) | CONN_F_INACTIVE;
    if ((d.fwd & CONN_F_FWD_MASK) !== CONN_F_MASQ) cf |= CONN_F_NOOUTPUT;
    let f = t.flagsOf(i) | cf;
    if (t.protoOf(i) !== IPPROTO_UDP) f &= ~CONN_F_ONE_PACKET;
    t.setFlags(i, f);
    t.setDest(i, slot);
    if ((f & CONN_F_TEMPLATE) === 0) {
      if ((f & CONN_F_INACTIVE) === 0) d.activeConns++;
      else d.inactConns++;
    } else {
      d.persistConns++;
    }
    overloadAfterBind(d);
    this.mirror(d);
  }

  /** ip_vs_unbind_dest(). */
  private unbindDest(i: number): void {
    const t = this.table;
    const slot = t.destOf(i);
    if (slot < 0) return;
    const d = this.dests[slot];
    t.setDest(i, -1);
    if (!d) return;
    const f = t.flagsOf(i);
    if ((f & CONN_F_TEMPLATE) === 0) {
      if ((f & CONN_F_INACTIVE) !== 0) d.inactConns--;
      else d.activeConns--;
    } else {
      d.persistConns--;
    }
    overloadAfterUnbind(d);
    this.mirror(d);
  }

  mirror(d: Dest): void {
    const o = d.slot * DEST_CONN_FIELDS;
    if (o < 0) return;
    const m = this.destConns;
    m[o] = d.activeConns;
    m[o + 1] = d.inactConns;
    m[o + 2] = d.persistConns;
    m[o + 3] = d.flags;
  }

  /** ip_vs_control_add(): cp is controlled by template ct. */
  setControl(i: number, ct: number): void {
    this.table.control[i] = ct;
    this.table.nControl[ct] = this.table.nControl[ct]! + 1;
  }

  /** ip_vs_control_assure_ct(): the controlling template has seen the path work. */
  assureControl(i: number): void {
    const t = this.table;
    const ct = t.control[i]!;
    if (ct >= 0 && (t.flagsOf(ct) & CONN_F_TEMPLATE) !== 0) t.setState(ct, CTPL_S_ASSURED);
  }

  /** set_tcp_state(): dirOff is DIR_INPUT or DIR_OUTPUT; NOOUTPUT conns use the INPUT_ONLY rows. */
  tcpTransition(i: number, dirOff: number, tcpFlags: number): void {
    const t = this.table;
    let f = t.flagsOf(i);
    if ((f & CONN_F_NOOUTPUT) !== 0) {
      if (dirOff === DIR_OUTPUT) {
        f &= ~CONN_F_NOOUTPUT;
        t.setFlags(i, f);
      } else {
        dirOff = DIR_INPUT_ONLY;
      }
    }
    const ev = tcpEvent(tcpFlags);
    const old = t.stateOf(i);
    const ns = ev < 0 ? TCP_S_CLOSE : TCP_NEXT_STATE[(dirOff + ev) * TCP_S_LAST + old]!;
    if (ns !== old) {
      const slot = t.destOf(i);
      const d = slot >= 0 ? this.dests[slot] : null;
      if (d) {
        if ((f & CONN_F_INACTIVE) === 0 && TCP_STATE_ACTIVE[ns] === 0) {
          d.activeConns--;
          d.inactConns++;
          t.setFlags(i, f | CONN_F_INACTIVE);
          this.mirror(d);
        } else if ((f & CONN_F_INACTIVE) !== 0 && TCP_STATE_ACTIVE[ns] === 1) {
          d.activeConns++;
          d.inactConns--;
          t.setFlags(i, f & ~CONN_F_INACTIVE);
          this.mirror(d);
        }
      }
      if (ns === 1) this.assureControl(i);
    }
    t.setState(i, ns);
    t.setTimeoutMs(i, this.timeouts.tcpMs[ns]!);
  }

  /** udp_state_transition(): one state; a reply assures the template. */
  udpTransition(i: number, output: boolean): void {
    this.table.setTimeoutMs(i, this.timeouts.udpMs);
    if (output) this.assureControl(i);
  }

  /** ip_vs_conn_put(): restart the timer at now + timeout (lazy: the wheel re-files it when it passes). */
  putTimer(i: number): void {
    this.table.expires[i] = this.clock.nowMs + this.table.timeoutOf(i);
  }

  /** A template's own timeout (the service's persistence timeout, later 60 s). */
  setTimeout(i: number, ms: number): void {
    this.table.setTimeoutMs(i, ms);
  }

  /** TimerOwner: ip_vs_conn_expire() at the conn's scheduled time. */
  onTimer(i: number, now: number): void {
    const t = this.table;
    this.expired++;
    if (t.nControl[i]! > 0) {
      // expire_later: re-arm for 60 s from the moment the timer was due.
      // DIFF: the kernel re-arms from the jiffy its timer ran; uvs from the due time, so a replay
      // whose clock jumps past several re-arms still expires the template where the kernel would
      // (test: persistence.test.ts "template expiry while it still controls conns").
      const due = t.expires[i]! <= now ? t.expires[i]! : now;
      t.setTimeoutMs(i, CONN_CONTROL_REARM_MS);
      t.expires[i] = due + CONN_CONTROL_REARM_MS;
      this.wheel.insert(i);
      return;
    }
    this.destroy(i);
  }

  /** ip_vs_conn_expire_now(): the timer fires at once (a template with conns is re-armed instead). */
  expireNow(i: number): void {
    this.wheel.remove(i);
    this.table.expires[i] = this.clock.nowMs;
    this.onTimer(i, this.clock.nowMs);
  }

  /** Unhash, detach from the template, unbind, free. */
  destroy(i: number): void {
    const t = this.table;
    const ct = t.control[i]!;
    if (ct >= 0) {
      t.nControl[ct] = t.nControl[ct]! - 1;
      t.control[i] = -1;
    }
    this.unbindDest(i);
    this.wheel.remove(i);
    t.free(i);
  }

  /**
   * An entry whose time has come is dead even if the wheel has not walked its slot yet: fire its
   * timer now (at its due time) and say whether it survived (a template still controlling conns).
   * DIFF: the kernel's timer would already have run; here the lookup runs it (test: "lazy expiry").
   */
  private alive(i: number): boolean {
    const t = this.table;
    const now = this.clock.nowMs;
    if (t.expires[i]! > now) return true;
    this.wheel.remove(i);
    this.onTimer(i, now);
    return t.isUsed(i) && t.expires[i]! > now;
  }

  findIn(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    for (let k = 0; k < 2; k++) {
      const i = this.table.lookupIn(proto, saddr, sport, daddr, dport);
      if (i < 0 || this.alive(i)) return i;
    }
    return -1;
  }

  findOut(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    for (let k = 0; k < 2; k++) {
      const i = this.table.lookupOut(proto, saddr, sport, daddr, dport);
      if (i < 0 || this.alive(i)) return i;
    }
    return -1;
  }

  findTemplate(proto: number, caddr: number, vaddr: number, vport: number): number {
    for (let k = 0; k < 2; k++) {
      const i = this.table.lookupTemplate(proto, caddr, vaddr, vport);
      if (i < 0 || this.alive(i)) return i;
    }
    return -1;
  }

  /** Re-key a template so it can no longer match (ip_vs_check_template's invalidation): cport 0, vport = dport = 0xFFFF. */
  invalidateTemplate(i: number): void {
    const t = this.table;
    const linked = (t.flagsOf(i) & CONN_F_LINKED) !== 0;
    if (linked) t.unlink(i);
    t.cport[i] = 0;
    t.vport[i] = 0xffff;
    t.dport[i] = 0xffff;
    if (linked) t.link(i);
  }

  /**
   * expire_nodest_conn's sweep after a dest deletion (ip_vs_expire_nodest_conn_flush()): expire
   * every conn whose dest is no longer AVAILABLE. Control path: walks the whole table once.
   */
  expireNodestConns(): number {
    const t = this.table;
    let n = 0;
    for (let i = 0; i < t.capacity; i++) {
      if ((t.flagsOf(i) & CONN_F_USED) === 0) continue;
      const slot = t.destOf(i);
      const d = slot >= 0 ? this.dests[slot] : null;
      if (d && (d.flags & DEST_F_AVAILABLE) === 0) {
        this.expireNow(i);
        n++;
      }
    }
    return n;
  }

  /** Walk the wheel (call once per batch). */
  tick(): number {
    return this.wheel.tick(this.clock.nowMs, this);
  }

  /** Every conn for `ipvsadm -L -c` (control path: allocates). DIFF: slot order, not hash-chain order. */
  snapshot(): ConnSnapshot[] {
    const t = this.table;
    const out: ConnSnapshot[] = [];
    const now = this.clock.nowMs;
    for (let i = 0; i < t.capacity; i++) {
      const f = t.flagsOf(i);
      if ((f & CONN_F_USED) === 0) continue;
      const p = t.protoOf(i);
      const tpl = (f & CONN_F_TEMPLATE) !== 0;
      out.push({
        protocol: protoName(p),
        caddr: t.caddr[i]! >>> 0, cport: t.cport[i]!, vaddr: t.vaddr[i]! >>> 0, vport: t.vport[i]!, daddr: t.daddr[i]! >>> 0, dport: t.dport[i]!,
        state: stateName(p, t.stateOf(i), tpl),
        expiresInMs: Math.max(0, t.expires[i]! - now),
        flags: f & ~(CONN_F_USED | CONN_F_LINKED),
      });
    }
    return out;
  }

  /** Is the dest in this slot overloaded (for snapshots)? */
  overloaded(slot: number): boolean {
    const d = this.dests[slot];
    return d !== null && d !== undefined && (d.flags & DEST_F_OVERLOAD) !== 0;
  }
}

export function protoName(p: number): string {
  if (p === IPPROTO_TCP) return 'TCP';
  if (p === IPPROTO_UDP) return 'UDP';
  if (p === IPPROTO_SCTP) return 'SCTP';
  return 'IP';
}

export function stateName(proto: number, state: number, template: boolean): string {
  if (template) return CTPL_STATE_NAMES[state] ?? 'ERR!';
  if (proto === IPPROTO_TCP) return TCP_STATE_NAMES[state] ?? 'ERR!';
  if (proto === IPPROTO_UDP) return 'UDP';
  return 'NONE';
}
