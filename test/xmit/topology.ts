// Addresses and MACs shared by the transmitter fixtures (the classic LVS drawing):
//   client 192.0.2.10 ── router ── director (VIP 10.0.0.100, DIP 10.0.0.2) ── real servers 10.0.0.11/12
import { ip, mac } from '../helpers/frame-builder.js';

export const CLIENT = '192.0.2.10';
export const VIP = '10.0.0.100';
export const DIP = '10.0.0.2';
export const RIP = '10.0.0.11';
export const RIP_REMOTE = '172.16.5.11';

export const ROUTER_MAC = '02:00:00:00:00:fe';
export const DIRECTOR_MAC = '02:00:00:00:00:d1';
export const RS_MAC = '02:00:00:00:00:11';

export const vip = ip(VIP);
export const dip = ip(DIP);
export const rip = ip(RIP);
export const ripRemote = ip(RIP_REMOTE);
export const client = ip(CLIENT);
export const directorMac = mac(DIRECTOR_MAC);
export const rsMac = mac(RS_MAC);
export const routerMac = mac(ROUTER_MAC);
