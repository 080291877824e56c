// Applying a whole VirtualServerTable to a running engine as a difference (control path, between
// batches). Everything is validated first; a table with any error changes nothing.
// Then, by the stable ids of services and dests:
//   • a service gone from the table is released (ipvsadm -D: doneService, its dests unlinked
//     without the delDest hook, into the trash);
//   • a new service is created with its scheduler (initService), and its dests are added oldest
//     first so that each lands at the head and the final list is newest-first as in the table;
//   • a kept service takes the new flags/timeout/netmask; a different scheduler name is -E
//     semantics (doneService on the old, initService on the new); same name keeps state;
//   • dests: deleted ones lose AVAILABLE, leave the list (delDest hook) and go to the trash,
//     where existing conns still reach them; edited ones run updDest; added ones reuse a trashed
//     dest of the same service key and address:port (its counters survive, §1.2) or get a new slot.
// Trashed dests with no conns are freed after 120 s idle (the kernel's trash GC).
// Every change to dest lists goes through src/sched/dest-list.ts.

import { CONN_F_FWD_MASK, fwdFlag, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, type FwdMethod } from '../model/constants.js';
import type { DestConfig, ServiceConfig, VirtualServerTable } from '../model/config.js';
import { formatIPv4, parseIPv4 } from '../model/ipv4.js';
import { addDest, changeScheduler, createService, delDest, editDest, releaseService, type DestParams } from '../sched/dest-list.js';
import { getScheduler } from '../sched/registry.js';
import { Dest } from './dest.js';
import type { Engine } from './engine.js';
import { MarkClassifier } from './marks.js';
import { Service } from './service.js';

/** A trashed dest is freed once it has had no conns for this long. */
export const TRASH_IDLE_MS = 120_000;

const PROTO_NUM: Record<string, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP };

interface TrashEntry {
  dest: Dest;
  /** The owning service's key: proto/addr/port/fwmark. */
  key: string;
  idleSince: number;
}

function svcKey(proto: number, addr: number, port: number, fwmark: number): string {
  return fwmark ? `f${fwmark}` : `${proto}/${addr}/${port}`;
}

function keyOf(s: Service): string {
  return svcKey(s.protocol, s.addr, s.port, s.fwmark);
}

interface CheckedDest {
  cfg: DestConfig;
  addr: number;
  params: DestParams;
}

interface CheckedService {
  cfg: ServiceConfig;
  proto: number;
  addr: number;
  netmask: number;
  dests: CheckedDest[];
}

/** The engine's memory of the model: which runtime objects belong to which ids. */
export class AppliedModel {
  readonly serviceById = new Map<number, Service>();
  readonly destById = new Map<number, Dest>();
  readonly idByDest = new Map<Dest, number>();
  readonly trash: TrashEntry[] = [];
  private readonly freeServiceSlots: number[];
  private readonly freeDestSlots: number[];
  lastGcMs: number;
  /** Dests ever moved to the trash (a change means a deletion happened). */
  trashedTotal: number;

  constructor(maxServices: number, maxDests: number) {
    this.freeServiceSlots = [];
    for (let i = maxServices - 1; i >= 0; i--) this.freeServiceSlots.push(i);
    this.freeDestSlots = [];
    for (let i = maxDests - 1; i >= 0; i--) this.freeDestSlots.push(i);
    this.lastGcMs = 0;
    this.trashedTotal = 0;
  }

  freeServices(): number {
    return this.freeServiceSlots.length;
  }

  freeDests(): number {
    return this.freeDestSlots.length;
  }

  takeServiceSlot(): number {
    return this.freeServiceSlots.pop()!;
  }

  takeDestSlot(): number {
    return this.freeDestSlots.pop()!;
  }

  releaseServiceSlot(slot: number): void {
    this.freeServiceSlots.push(slot);
  }

  releaseDestSlot(slot: number): void {
    this.freeDestSlots.push(slot);
  }
}

function validate(e: Engine, table: VirtualServerTable): { checked: CheckedService[]; errors: string[] } {
  const errors: string[] = [];
  const checked: CheckedService[] = [];
  const keys = new Set<string>();
  const svcIds = new Set<number>();
  const destIds = new Set<number>();
  let newDests = 0;
  for (const s of table.services) {
    const where = s.fwmark ? `service FWM ${s.fwmark}` : `service ${s.protocol} ${s.addr}:${s.port}`;
    if (svcIds.has(s.id)) errors.push(`${where}: duplicate service id ${s.id}`);
    svcIds.add(s.id);
    if (s.af !== 4) { errors.push(`${where}: only IPv4 services are supported`); continue; }
    const proto = s.fwmark ? IPPROTO_TCP : PROTO_NUM[s.protocol];
    if (proto === undefined) { errors.push(`${where}: unknown protocol '${s.protocol}'`); continue; }
    const addr = s.fwmark ? 0 : parseIPv4(s.addr);
    if (addr === null) { errors.push(`${where}: bad address '${s.addr}'`); continue; }
    if (!Number.isInteger(s.port) || s.port < 0 || s.port > 65535) errors.push(`${where}: bad port ${s.port}`);
    if (!Number.isInteger(s.fwmark) || s.fwmark < 0 || s.fwmark > 0xffffffff) errors.push(`${where}: bad fwmark ${s.fwmark}`);
    if (!getScheduler(s.sched)) errors.push(`${where}: unknown scheduler '${s.sched}'`);
    if (!(s.timeoutS >= 0)) errors.push(`${where}: bad persistence timeout ${s.timeoutS}`);
    const netmask = s.netmask === '' || s.netmask === undefined ? 0xffffffff : parseIPv4(s.netmask);
    if (netmask === null) errors.push(`${where}: bad netmask '${s.netmask}'`);
    const key = svcKey(proto, addr, s.port, s.fwmark);
    if (keys.has(key)) errors.push(`${where}: defined twice`);
    keys.add(key);
    const dests: CheckedDest[] = [];
    const dkeys = new Set<string>();
    for (const dc of s.dests) {
      const dwhere = `${where}: dest ${dc.addr}:${dc.port}`;
      if (destIds.has(dc.id)) errors.push(`${dwhere}: duplicate dest id ${dc.id}`);
      destIds.add(dc.id);
      if (dc.af !== 4) { errors.push(`${dwhere}: only IPv4 dests are supported`); continue; }
      const daddr = parseIPv4(dc.addr);
      if (daddr === null) { errors.push(`${dwhere}: bad address`); continue; }
      if (!Number.isInteger(dc.port) || dc.port < 0 || dc.port > 65535) errors.push(`${dwhere}: bad port`);
      if (!Number.isInteger(dc.weight) || dc.weight < 0) errors.push(`${dwhere}: bad weight ${dc.weight}`);
      const fwd = fwdFlag(dc.fwd as FwdMethod);
      if (fwd < 0 || fwd > 3) errors.push(`${dwhere}: unsupported forwarding method '${dc.fwd}'`);
      if (!Number.isInteger(dc.uThreshold) || dc.uThreshold < 0 || !Number.isInteger(dc.lThreshold) || dc.lThreshold < 0) {
        errors.push(`${dwhere}: bad thresholds ${dc.uThreshold}/${dc.lThreshold}`);
      }
      if (dc.lThreshold > dc.uThreshold && dc.uThreshold !== 0) errors.push(`${dwhere}: lower threshold above upper threshold`);
      const dk = `${daddr}:${dc.port}`;
      if (dkeys.has(dk)) errors.push(`${dwhere}: defined twice`);
      dkeys.add(dk);
      if (!e.model.destById.has(dc.id)) newDests++;
      dests.push({ cfg: dc, addr: daddr, params: { weight: dc.weight, fwd: fwd & CONN_F_FWD_MASK, uThreshold: dc.uThreshold, lThreshold: dc.lThreshold } });
    }
    // A scheduler may refuse a service (mh with more dests than slots): ask now, with the final
    // dest list, so the table is refused whole instead of half-applied.
    const sched = getScheduler(s.sched);
    if (sched?.checkService) {
      const probe = new Service(s.id, proto, addr, s.port, s.fwmark, sched, e.randomU32, e.clock);
      probe.flags = s.flags;
      probe.dests = dests.map((cd) => new Dest(cd.cfg.id, cd.addr, cd.cfg.port, cd.params.weight, cd.params.fwd));
      const refusal = sched.checkService(probe);
      if (refusal !== null) errors.push(`${where}: ${refusal}`);
    }
    checked.push({ cfg: s, proto, addr, netmask: netmask ?? 0xffffffff, dests });
  }
  let newServices = 0;
  for (const s of table.services) if (!e.model.serviceById.has(s.id)) newServices++;
  if (newServices > e.model.freeServices() + countRemoved(e, table)) errors.push(`too many services (limit ${e.opts.maxServices})`);
  if (newDests > e.model.freeDests()) errors.push(`too many dests (limit ${e.opts.maxDests}, trash included)`);
  return { checked, errors };
}

function countRemoved(e: Engine, table: VirtualServerTable): number {
  const ids = new Set(table.services.map((s) => s.id));
  let n = 0;
  for (const id of e.model.serviceById.keys()) if (!ids.has(id)) n++;
  return n;
}

function trashDest(e: Engine, d: Dest, key: string): void {
  e.model.trash.push({ dest: d, key, idleSince: -1 });
  e.model.trashedTotal++;
}

function removeService(e: Engine, svc: Service): void {
  const key = keyOf(svc);
  for (const d of releaseService(svc)) {
    e.conns.mirror(d);
    trashDest(e, d, key);
    const id = e.model.idByDest.get(d);
    if (id !== undefined) e.model.destById.delete(id);
    e.model.idByDest.delete(d);
  }
  e.services[svc.slot] = null;
  e.stats.clearService(svc.slot);
  e.model.releaseServiceSlot(svc.slot);
  e.model.serviceById.delete(svc.id);
}

function newDest(e: Engine, svc: Service, c: CheckedDest): Dest {
  const key = keyOf(svc);
  const ti = e.model.trash.findIndex((t) => t.key === key && t.dest.addr === c.addr && t.dest.port === c.cfg.port);
  if (ti >= 0) {
    const d = e.model.trash[ti]!.dest;
    e.model.trash.splice(ti, 1);
    return d;
  }
  const d = new Dest(c.cfg.id, c.addr, c.cfg.port, c.params.weight, c.params.fwd);
  d.slot = e.model.takeDestSlot();
  e.conns.dests[d.slot] = d;
  e.stats.clearDest(d.slot);
  return d;
}

function sameParams(d: Dest, p: DestParams): boolean {
  return d.weight === p.weight && (d.fwd & CONN_F_FWD_MASK) === p.fwd && d.uThreshold === p.uThreshold && d.lThreshold === p.lThreshold;
}

/** Apply the table (validated first; on any error nothing changes). Returns the error texts. */
export function applyTable(e: Engine, table: VirtualServerTable): string[] {
  const { checked, errors } = validate(e, table);
  if (errors.length) return errors;
  const model = e.model;
  const trashBefore = model.trashedTotal;
  const wanted = new Set(checked.map((c) => c.cfg.id));
  for (const [id, svc] of [...model.serviceById]) if (!wanted.has(id)) removeService(e, svc);

  for (const c of checked) {
    const s = c.cfg;
    const sched = getScheduler(s.sched)!;
    let svc = model.serviceById.get(s.id);
    if (svc && keyOf(svc) !== svcKey(c.proto, c.addr, s.port, s.fwmark)) {
      removeService(e, svc);
      svc = undefined;
    }
    if (!svc) {
      svc = createService(s.id, c.proto, c.addr, s.port, s.fwmark, sched, e.randomU32, e.clock, s.flags);
      svc.slot = model.takeServiceSlot();
      e.services[svc.slot] = svc;
      e.stats.clearService(svc.slot);
      model.serviceById.set(s.id, svc);
    } else {
      const err = changeScheduler(svc, sched);
      if (err) errors.push(`service ${e.serviceLabels[svc.slot]}: ${err}`);
      svc.flags = s.flags;
    }
    svc.timeoutMs = s.timeoutS * 1000;
    svc.netmask = c.netmask;
    e.serviceLabels[svc.slot] = s.fwmark ? `FWM ${s.fwmark}` : `${s.protocol.toUpperCase()} ${formatIPv4(c.addr)}:${s.port}`;

    // Dests: delete, edit, then add (oldest new one first so the newest ends at the head).
    const want = new Map<number, CheckedDest>();
    for (const cd of c.dests) want.set(cd.cfg.id, cd);
    for (const d of [...svc.dests]) {
      const id = model.idByDest.get(d);
      const cd = id === undefined ? undefined : want.get(id);
      if (!cd || cd.addr !== d.addr || cd.cfg.port !== d.port) {
        delDest(svc, d);
        e.conns.mirror(d);
        trashDest(e, d, keyOf(svc));
        if (id !== undefined) model.destById.delete(id);
        model.idByDest.delete(d);
      } else if (!sameParams(d, cd.params)) {
        editDest(svc, d, cd.params);
        e.conns.mirror(d);
      }
    }
    for (let k = c.dests.length - 1; k >= 0; k--) {
      const cd = c.dests[k]!;
      const cur = model.destById.get(cd.cfg.id);
      if (cur && svc.dests.includes(cur)) continue;
      const d = newDest(e, svc, cd);
      addDest(svc, d, cd.params);
      e.conns.mirror(d);
      model.destById.set(cd.cfg.id, d);
      model.idByDest.set(d, cd.cfg.id);
      e.destLabels[d.slot] = `${formatIPv4(d.addr)}:${d.port}`;
    }
  }
  // expire_nodest_conn = 1: a deletion also sweeps the conns of deleted dests.
  if (e.opts.expireNodestConn && model.trashedTotal !== trashBefore) e.conns.expireNodestConns();
  e.conns.timeouts.set(table.timeouts.tcpS, table.timeouts.tcpFinS, table.timeouts.udpS);
  e.marks = new MarkClassifier(table.marks, e.opts.ifaceNames);
  e.reindex();
  return errors;
}


/**
 * Free trashed dests idle for TRASH_IDLE_MS (checked at most once a second of engine time).
 * DIFF: the kernel's trash GC runs every 60 s and frees a dest seen idle for 120 s (so 120–180 s
 * after its last conn); uvs frees it 120–121 s after (test: lifecycle.test.ts "freed after 120 s idle").
 */
export function gcTrash(e: Engine): void {
  const now = e.clock.nowMs;
  const model = e.model;
  if (now - model.lastGcMs < 1000 && now >= model.lastGcMs) return;
  model.lastGcMs = now;
  for (let i = model.trash.length - 1; i >= 0; i--) {
    const t = model.trash[i]!;
    const d = t.dest;
    if (d.activeConns + d.inactConns + d.persistConns !== 0) {
      t.idleSince = -1;
      continue;
    }
    if (t.idleSince < 0) { t.idleSince = now; continue; }
    if (now - t.idleSince >= TRASH_IDLE_MS) {
      model.trash.splice(i, 1);
      e.conns.dests[d.slot] = null;
      e.stats.clearDest(d.slot);
      model.releaseDestSlot(d.slot);
      d.slot = -1;
    }
  }
}
