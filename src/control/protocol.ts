// The control socket protocol between `uvs run` and its clients (uvsadm, uvs trace, tests).
// A Unix stream socket, mode 0600; one JSON object per line in each direction.
//
//   → {"op":"ipvsadm","argv":["-L","-n"],"stdin":""}
//   ← {"stdout":"...","stderr":"","code":0}
//       Runs one ipvsadm command against the daemon's table exactly as ipvsadm would run it
//       against the kernel; stdin carries `-R` input. One request, one reply, then more may follow.
//
//   → {"op":"trace"}
//   ← one decision object per line (the `uvs replay --decisions` shape), until the client closes.
//
//   → {"op":"status"}
//   ← {"pid":123,"iface":"eth0","io":"afpacket","uptimeS":12,"counters":{...},...} (StatusReply;
//       `uvs status` prints it)

export const DEFAULT_SOCKET_PATH = '/run/uvs/uvs.sock';

export interface IpvsadmRequest {
  op: 'ipvsadm';
  argv: string[];
  stdin: string;
}

export interface IpvsadmReply {
  stdout: string;
  stderr: string;
  code: number;
}

export interface TraceRequest {
  op: 'trace';
}

export interface StatusRequest {
  op: 'status';
}

/** The reply to {"op":"status"}: where the director runs and its datapath counters. */
export interface StatusReply {
  pid: number;
  iface: string;
  insideIface: string | null;
  io: 'afpacket' | 'pcap';
  /** The afpacket mode (ring, ringrx, mmsg). */
  mode: string;
  uptimeS: number;
  ports: Array<{ ifname: string; mac: string; mtu: number; index: number }>;
  services: number;
  /** The worker's shared counters (rx, tx, kernelDrops, neigh_*, ...) plus the engine's verdicts
   * and its drops by reason (only the reasons that occurred). */
  counters: { verdicts: Record<string, number>; drops: Record<string, number>; [counter: string]: number | Record<string, number> };
  neighbours: Array<{ ip: string; mac: string; state: string; expiresInMs: number }>;
}

export type ControlRequest = IpvsadmRequest | TraceRequest | StatusRequest;

/** The result of running an ipvsadm command, wherever it runs. */
export type CommandResult = IpvsadmReply;
