// The IPVS TCP state machine (ip_vs_proto_tcp.c) and the per-protocol timeouts.
//
// A TCP connection moves between 11 states. Each packet is turned into an event from its flags
// (RST beats SYN beats FIN beats ACK; a packet with none of them sends the conn straight to CLOSE),
// and the event, the direction (INPUT client→server, OUTPUT server→client, INPUT_ONLY when the LB
// never sees replies, as with DR/TUN) and the current state index one cell of a fixed table.
// After every transition the conn's timeout becomes the timeout of its new state. Only
// ESTABLISHED, SYN_SENT, SYN_RECV and SYNACK count as "active" for the dest's ActiveConn.
// UDP has a single state (printed "UDP"); templates print NONE / ASSURED.

export const TCP_S_NONE = 0;
export const TCP_S_ESTABLISHED = 1;
export const TCP_S_SYN_SENT = 2;
export const TCP_S_SYN_RECV = 3;
export const TCP_S_FIN_WAIT = 4;
export const TCP_S_TIME_WAIT = 5;
export const TCP_S_CLOSE = 6;
export const TCP_S_CLOSE_WAIT = 7;
export const TCP_S_LAST_ACK = 8;
export const TCP_S_LISTEN = 9;
export const TCP_S_SYNACK = 10;
export const TCP_S_LAST = 11;

export const TCP_STATE_NAMES: readonly string[] = [
  'NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK',
];

/** Template states (ip_vs_ctpl_state_name_table). */
export const CTPL_S_NONE = 0;
export const CTPL_S_ASSURED = 1;
export const CTPL_STATE_NAMES: readonly string[] = ['NONE', 'ASSURED'];

/** Directions, as the offsets of tcp_state_off[]. */
export const DIR_INPUT = 0;
export const DIR_OUTPUT = 4;
export const DIR_INPUT_ONLY = 8;

/** Default state timeouts in seconds (tcp_timeouts[] in ip_vs_proto_tcp.c). */
export const TCP_DEFAULT_TIMEOUTS_S: readonly number[] = [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120];

// Next-state rows, [dir + event][current state]; events: 0 syn, 1 fin, 2 ack, 3 rst.
const ES = TCP_S_ESTABLISHED, SS = TCP_S_SYN_SENT, SR = TCP_S_SYN_RECV,
  FW = TCP_S_FIN_WAIT, TW = TCP_S_TIME_WAIT, CL = TCP_S_CLOSE, CW = TCP_S_CLOSE_WAIT,
  LA = TCP_S_LAST_ACK, LI = TCP_S_LISTEN, SA = TCP_S_SYNACK;

const ROWS: number[][] = [
  //        NO  ES  SS  SR  FW  TW  CL  CW  LA  LI  SA
  /* INPUT syn */ [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
  /* INPUT fin */ [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW],
  /* INPUT ack */ [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
  /* INPUT rst */ [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR],
  /* OUTPUT syn */ [SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR],
  /* OUTPUT fin */ [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
  /* OUTPUT ack */ [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
  /* OUTPUT rst */ [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
  /* INPUT_ONLY syn */ [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
  /* INPUT_ONLY fin */ [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
  /* INPUT_ONLY ack */ [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
  /* INPUT_ONLY rst */ [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
];

/** Flattened table: TCP_NEXT_STATE[(dir + event) * TCP_S_LAST + state]. */
export const TCP_NEXT_STATE: Uint8Array = (() => {
  const t = new Uint8Array(ROWS.length * TCP_S_LAST);
  for (let r = 0; r < ROWS.length; r++) for (let s = 0; s < TCP_S_LAST; s++) t[r * TCP_S_LAST + s] = ROWS[r]![s]!;
  return t;
})();

/** 1 for states that count in ActiveConn (tcp_state_active()). */
export const TCP_STATE_ACTIVE: Uint8Array = (() => {
  const a = new Uint8Array(TCP_S_LAST);
  a[ES] = 1; a[SS] = 1; a[SR] = 1; a[SA] = 1;
  return a;
})();

/** tcp_state_idx(): RST → 3, SYN → 0, FIN → 1, ACK → 2, none → -1. */
export function tcpEvent(tcpFlags: number): number {
  if (tcpFlags & 0x04) return 3;
  if (tcpFlags & 0x02) return 0;
  if (tcpFlags & 0x01) return 1;
  if (tcpFlags & 0x10) return 2;
  return -1;
}

/** Next TCP state for a packet, as set_tcp_state() without the side effects. */
export function tcpNextState(state: number, dirOff: number, tcpFlags: number): number {
  const ev = tcpEvent(tcpFlags);
  if (ev < 0) return TCP_S_CLOSE;
  return TCP_NEXT_STATE[(dirOff + ev) * TCP_S_LAST + state]!;
}

/**
 * Per-protocol timeouts in milliseconds. `--set tcp tcpfin udp` changes ESTABLISHED, FIN_WAIT and
 * UDP only (0 = leave unchanged), as ip_vs_set_timeout().
 */
export class ProtoTimeouts {
  readonly tcpMs: Uint32Array;
  udpMs: number;

  constructor() {
    this.tcpMs = new Uint32Array(TCP_S_LAST);
    for (let s = 0; s < TCP_S_LAST; s++) this.tcpMs[s] = TCP_DEFAULT_TIMEOUTS_S[s]! * 1000;
    this.udpMs = 300_000;
  }

  set(tcpS: number, tcpFinS: number, udpS: number): void {
    if (tcpS > 0) this.tcpMs[TCP_S_ESTABLISHED] = tcpS * 1000;
    if (tcpFinS > 0) this.tcpMs[TCP_S_FIN_WAIT] = tcpFinS * 1000;
    if (udpS > 0) this.udpMs = udpS * 1000;
  }
}
