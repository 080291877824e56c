// A destination (real server) as the datapath sees it: the kernel's struct ip_vs_dest.
// Created and edited by the control plane between batches; read by schedulers and the
// connection table per packet. Every field is set in the constructor (one hidden class).

import { CONN_F_DROUTE, DEST_F_AVAILABLE } from '../model/constants.js';
import type { Service } from './service.js';

export class Dest {
  /** Stable id from the control model; indexes counters and conn entries. */
  readonly id: number;
  /** IPv4 address as host-order u32. */
  addr: number;
  port: number;
  weight: number;
  /** Last non-zero weight the user set (MH uses it for quiesced dests). */
  lastWeight: number;
  /** CONN_F_MASQ | CONN_F_TUNNEL | CONN_F_DROUTE | CONN_F_LOCALNODE. */
  fwd: number;
  /** DEST_F_AVAILABLE | DEST_F_OVERLOAD. */
  flags: number;
  uThreshold: number;
  lThreshold: number;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  /** Owning service; kept while in trash so existing conns still reach it. */
  svc: Service | null;
  /** The engine's index for this dest (counters, conn entries); -1 until the engine adopts it. */
  slot: number;

  constructor(id: number, addr: number, port: number, weight = 1, fwd = CONN_F_DROUTE) {
    this.id = id;
    this.addr = addr >>> 0;
    this.port = port;
    this.weight = weight;
    this.lastWeight = weight;
    this.fwd = fwd;
    this.flags = DEST_F_AVAILABLE;
    this.uThreshold = 0;
    this.lThreshold = 0;
    this.activeConns = 0;
    this.inactConns = 0;
    this.persistConns = 0;
    this.svc = null;
    this.slot = -1;
  }
}

/** ip_vs_dest_conn_overhead(): active connections weigh 256 times an inactive one. */
export function destOverhead(d: Dest): number {
  return d.activeConns * 256 + d.inactConns;
}
