// What the control side reads back from the datapath: counters for listings (`uvsadm -L --stats`,
// `--rate`, ActiveConn/InActConn) and the connection table for `uvsadm -L -c`.

export interface StatsCounters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

export interface DestCounters {
  activeConns: number;
  inactConns: number;
  persistConns: number;
  overloaded: boolean;
  stats: StatsCounters;
}

export interface ConnSnapshot {
  /** 'TCP' | 'UDP' | 'SCTP' | 'IP' (templates of fwmark services). */
  protocol: string;
  caddr: number;
  cport: number;
  /** For fwmark templates the mark is stored here, as IPVS does. */
  vaddr: number;
  vport: number;
  daddr: number;
  dport: number;
  /** Printed state name: ESTABLISHED, SYN_RECV, UDP, NONE, ASSURED, ... */
  state: string;
  /** Milliseconds until expiry. */
  expiresInMs: number;
  /** CONN_F_* bits. */
  flags: number;
}

/** Implemented by the engine (directly, or by the daemon on the engine's behalf). */
export interface StatsSource {
  /** Counters of one service by its model id; zeros when unknown. */
  serviceStats(serviceId: number): StatsCounters;
  /** Counters of one dest by its model id; zeros when unknown. */
  destCounters(destId: number): DestCounters;
  /** Totals over every service (`--stats` header lines are per-service; ipvsadm has no grand total). */
  connections(): ConnSnapshot[];
}

export function zeroStats(): StatsCounters {
  return { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
}
