// The only way health checking changes the virtual server table: ipvsadm command lines handed to
// the control model's execute(), exactly as keepalived drives IPVS through ipvs_cmd() in
// keepalived/check/ipvswrapper.c (ADD_DEST, DEL_DEST, EDIT_DEST, ADD). Tests pass a fake editor;
// the daemon passes the real ControlModel. Nothing here touches the datapath.

import type { DestConfig, ServiceConfig } from '../model/config.js';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../model/constants.js';

export interface ExecResult {
  code: number;
  stderr: string;
}

/** What health checking needs from the control plane: run one ipvsadm command. */
export interface TableEditor {
  execute(argv: string[]): ExecResult;
}

function hostPort(af: number, addr: string, port: number): string {
  return af === 6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** `-t VIP:PORT`, `-u ...`, `--sctp-service ...` or `-f MARK`, as ipvsadm takes a service. */
export function serviceArgs(svc: ServiceConfig): string[] {
  if (svc.fwmark) return ['-f', String(svc.fwmark)];
  const opt = svc.protocol === 'udp' ? '-u' : svc.protocol === 'sctp' ? '--sctp-service' : '-t';
  return [opt, hostPort(svc.af, svc.addr, svc.port)];
}

const FWD_OPTS: Record<string, string> = { Route: '-g', Masq: '-m', Tunnel: '-i', Local: '-m', Bypass: '-g' };

/** `-r RIP:PORT`; for fwmark services keepalived also gives the port (0 keeps the client's). */
export function destAddrArgs(dest: DestConfig): string[] {
  return ['-r', hostPort(dest.af, dest.addr, dest.port)];
}

function destOptArgs(dest: DestConfig, weight: number): string[] {
  const argv = [FWD_OPTS[dest.fwd] ?? '-g', '-w', String(weight)];
  if (dest.uThreshold) argv.push('-x', String(dest.uThreshold));
  if (dest.lThreshold) argv.push('-y', String(dest.lThreshold));
  if (dest.fwd === 'Tunnel' && dest.tunType && dest.tunType !== 'ipip') {
    argv.push('--tun-type', dest.tunType);
    if (dest.tunPort) argv.push('--tun-port', String(dest.tunPort));
    if (dest.tunFlags && dest.tunFlags !== 'nocsum') argv.push(`--tun-${dest.tunFlags}`);
  }
  return argv;
}

/** ipvsadm -a: as ipvs_cmd(LVS_CMD_ADD_DEST). */
export function addDestArgv(svc: ServiceConfig, dest: DestConfig, weight: number): string[] {
  return ['-a', ...serviceArgs(svc), ...destAddrArgs(dest), ...destOptArgs(dest, weight)];
}

/** ipvsadm -e: as ipvs_cmd(LVS_CMD_EDIT_DEST) (weight changes, inhibit_on_failure). */
export function editDestArgv(svc: ServiceConfig, dest: DestConfig, weight: number): string[] {
  return ['-e', ...serviceArgs(svc), ...destAddrArgs(dest), ...destOptArgs(dest, weight)];
}

/** ipvsadm -d: as ipvs_cmd(LVS_CMD_DEL_DEST). */
export function delDestArgv(svc: ServiceConfig, dest: DestConfig): string[] {
  return ['-d', ...serviceArgs(svc), ...destAddrArgs(dest)];
}

const SCHED_FLAG_NAMES: Record<string, [string, string, string]> = {
  sh: ['sh-fallback', 'sh-port', 'flag-3'],
  mh: ['mh-fallback', 'mh-port', 'flag-3'],
};

/** ipvsadm -A with the service's scheduler and persistence: as ipvs_cmd(LVS_CMD_ADD). */
export function addServiceArgv(svc: ServiceConfig): string[] {
  const argv = ['-A', ...serviceArgs(svc), '-s', svc.sched || 'wlc'];
  if (svc.flags & SVC_F_PERSISTENT) {
    argv.push('-p', String(svc.timeoutS));
    if (svc.netmask && svc.netmask !== '255.255.255.255' && svc.netmask !== '128') argv.push('-M', svc.netmask);
  }
  if (svc.flags & SVC_F_ONEPACKET) argv.push('-o');
  const names = SCHED_FLAG_NAMES[svc.sched] ?? ['flag-1', 'flag-2', 'flag-3'];
  const flags: string[] = [];
  if (svc.flags & SVC_F_SCHED1) flags.push(names[0]);
  if (svc.flags & SVC_F_SCHED2) flags.push(names[1]);
  if (svc.flags & SVC_F_SCHED3) flags.push(names[2]);
  if (flags.length) argv.push('-b', flags.join(','));
  if (svc.pe) argv.push('--pe', svc.pe);
  return argv;
}

/** ipvsadm -D: as ipvs_cmd(LVS_CMD_DEL). */
export function delServiceArgv(svc: ServiceConfig): string[] {
  return ['-D', ...serviceArgs(svc)];
}
