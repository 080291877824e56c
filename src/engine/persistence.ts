// Persistent scheduling, as ip_vs_sched_persist() (spec §3.1–3.4).
//
// A persistent service keeps one template per client (or client network: saddr & netmask) that
// names the dest chosen for it. The template key depends on what the packet is:
//   dport == service port, service port ≠ 21:  (proto, caddr, 0, VIP, vport)  template dport = dest port
//   dport == 21 on an FTP (port 21) service:    (proto, caddr, 0, VIP, 0)      template dport = 0
//   dport ≠ service port, fwmark service:        (0,     caddr, 0, mark, 0)     template dport = 0
//   dport ≠ service port, port-0 service / FTP data: (proto, caddr, 0, VIP, 0)  template dport = 0
// A template found and still valid (its dest AVAILABLE, and not weight 0 when
// expire_quiescent_template is on) gives the dest; otherwise an invalid one is re-keyed so it
// can never match again (vport = dport = 0xFFFF) and the scheduler picks a dest for a new template
// whose timeout is the service's persistence timeout. The real conn then takes the packet's port
// (or the dest port when the packet went to the service port and the dest has one), is controlled
// by the template (n_control), and the template's timer restarts at now + its timeout: templates
// are refreshed only by new conns, never by packets of existing ones.

import { CONN_F_ONE_PACKET, CONN_F_TEMPLATE, DEST_F_AVAILABLE, IPPROTO_UDP, SVC_F_ONEPACKET } from '../model/constants.js';
import type { PacketDesc } from '../packet/packet-desc.js';
import type { Engine } from './engine.js';
import type { Service } from './service.js';

export const FTPPORT = 21;

/** Results below 0 (no conn made). */
export const PERSIST_NO_DEST = -1;
export const PERSIST_TABLE_FULL = -2;

export const TEMPLATE_NULL = 0;
export const TEMPLATE_NEW = 1;
export const TEMPLATE_HIT = 2;

/**
 * ip_vs_check_template(): false (after invalidating ct in place) when its dest is gone, not
 * AVAILABLE, or quiescent (weight 0) with expire_quiescent_template.
 */
export function checkTemplate(e: Engine, ct: number): boolean {
  const t = e.conns.table;
  const slot = t.destOf(ct);
  const d = slot >= 0 ? e.conns.dests[slot] : null;
  if (!d || (d.flags & DEST_F_AVAILABLE) === 0 || (e.opts.expireQuiescentTemplate && d.weight === 0)) {
    if (t.vport[ct] !== 0xffff) e.conns.invalidateTemplate(ct);
    return false;
  }
  return true;
}

/** ip_vs_sched_persist(): the new conn's slot, or PERSIST_NO_DEST / PERSIST_TABLE_FULL. Sets e.decision.template. */
export function schedPersist(e: Engine, svc: Service, d: PacketDesc): number {
  const conns = e.conns;
  const t = conns.table;
  // Addresses as int32 (see ConnTable).
  const snet = d.saddr & svc.netmask;
  let proto = d.proto;
  let vaddr = d.daddr | 0;
  let vport = 0;
  if (d.dport === svc.port) {
    if (svc.port !== FTPPORT) vport = d.dport;
  } else if (svc.fwmark !== 0) {
    proto = 0;
    vaddr = svc.fwmark | 0;
  }

  let ct = conns.findTemplate(proto, snet, vaddr, vport);
  let dest = null;
  if (ct >= 0 && checkTemplate(e, ct)) {
    dest = conns.dests[t.destOf(ct)]!;
    e.decision.template = TEMPLATE_HIT;
  } else {
    dest = svc.scheduler.schedule(svc, svc.schedState, d);
    if (dest === null) return PERSIST_NO_DEST;
    const tdport = d.dport === svc.port && svc.port !== FTPPORT ? dest.port : 0;
    ct = conns.create(proto, snet, 0, vaddr, vport, dest.addr | 0, tdport, CONN_F_TEMPLATE, dest.slot, d.fwmark | 0);
    if (ct < 0) return PERSIST_TABLE_FULL;
    conns.setTimeout(ct, svc.timeoutMs);
    e.decision.template = TEMPLATE_NEW;
  }

  let dport = d.dport;
  if (dport === svc.port && dest.port !== 0) dport = dest.port;
  const flags = (svc.flags & SVC_F_ONEPACKET) !== 0 && d.proto === IPPROTO_UDP ? CONN_F_ONE_PACKET : 0;
  const cp = conns.create(d.proto, d.saddr | 0, d.sport, d.daddr | 0, d.dport, dest.addr | 0, dport, flags, dest.slot, d.fwmark | 0);
  if (cp < 0) {
    conns.putTimer(ct);
    return PERSIST_TABLE_FULL;
  }
  conns.setControl(cp, ct);
  conns.putTimer(ct);
  e.countNewConn(svc, dest.slot);
  return cp;
}
