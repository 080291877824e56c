// Userspace IP-in-IP decapsulator for TUN-mode real servers on kernels without the ipip module.
//
// The director (ipvsadm -i) sends each client packet wrapped in an outer IPv4 header
// DIP → RIP with protocol 4. This process, started by the lab inside the real server's namespace:
//   1. receives every protocol-4 packet addressed to this host on a raw socket (npm raw-socket,
//      IPPROTO_IPIP; the kernel hands raw IPv4 sockets the packet with its outer header, and with a
//      raw socket bound to the protocol it sends no "protocol unreachable" back);
//   2. checks the outer and inner headers (IPv4, lengths) and strips the outer header;
//   3. writes the inner packet (client → VIP, untouched) to a TUN device opened by the native addon
//      (native/src/tun.c: TUNSETIFF with IFF_TUN|IFF_NO_PI, so one write = one bare IPv4 packet).
//
// Why a TUN device: the inner packet must enter the real server's stack as *received* traffic, as
// the kernel's own ipip device does (ip_tunnel_rcv → netif_rx). Only then does it go through input
// routing, find the VIP on `lo` as a local address and reach the listening socket, which then
// answers the client directly (source VIP) through the default route. Sending the inner packet out
// through a raw socket or a UDP/TCP socket would make it *locally generated* traffic: it would be
// routed as output toward the client/VIP, never delivered up to the server's socket as a new inbound
// connection from the client. A TUN write is exactly "this packet arrived on interface ipip0".
// (rp_filter must be 0 on that device: the client is reached through eth0, not through ipip0.)
//
// Usage: node ipip-decap.js [--dev ipip0] [--mtu 1480] [--ready FILE]

import { writeSync, writeFileSync, closeSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { loadNative } from './native.js';

const IPPROTO_IPIP = 4;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
// The raw socket's receive queue. The default (rmem_default, ~208 KiB) holds only ~256 small
// packets, since each costs a whole skb's truesize; bursts from the director while this process
// waited for a CPU overflowed it (0.5-0.7 % of packets at 3k new connections/s with 100 KB
// replies: retransmissions, wrk socket errors). 512 KiB (the kernel doubles it: 1 MiB) holds about
// 1,200, as many as the kernel's own per-CPU receive backlog (netdev_max_backlog, 1000) holds for
// its ipip device. Much more only trades those drops for queueing delay.
const RCVBUF_BYTES = 512 << 10;

export interface DecapCounters {
  received: number;
  delivered: number;
  dropMalformed: number;
  dropWrite: number;
}

/**
 * Validate an IP-in-IP packet (outer header first) and return the inner packet's offset, or -1.
 * Pure, so it is unit-tested with hand-made packets.
 */
export function innerOffset(buf: Uint8Array, len: number): number {
  if (len < 40) return -1;
  if ((buf[0]! >> 4) !== 4) return -1;
  const ihl = (buf[0]! & 0x0f) * 4;
  if (ihl < 20 || ihl + 20 > len) return -1;
  if (buf[9] !== IPPROTO_IPIP) return -1;
  const outerTotal = (buf[2]! << 8) | buf[3]!;
  if (outerTotal < ihl + 20 || outerTotal > len) return -1;
  const inner = ihl;
  if ((buf[inner]! >> 4) !== 4) return -1;
  const innerIhl = (buf[inner]! & 0x0f) * 4;
  const innerTotal = (buf[inner + 2]! << 8) | buf[inner + 3]!;
  if (innerIhl < 20 || innerTotal < innerIhl || inner + innerTotal !== outerTotal) return -1;
  return inner;
}

interface RawSocket {
  setOption(level: number, option: number, value: number): RawSocket;
  on(ev: 'message', cb: (buf: Buffer, source: string) => void): void;
  on(ev: 'error', cb: (e: Error) => void): void;
  close(): void;
}
interface RawModule { createSocket(o: { protocol: number; bufferSize?: number }): RawSocket }

function arg(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
}

function main(): void {
  const argv = process.argv.slice(2);
  const dev = arg(argv, '--dev', 'ipip0');
  const mtu = arg(argv, '--mtu', '1480');
  const ready = arg(argv, '--ready', '');
  const fd = loadNative().tunOpen(dev);
  execFileSync('ip', ['link', 'set', 'dev', dev, 'mtu', mtu, 'up']);
  execFileSync('sysctl', ['-q', '-w', `net.ipv4.conf.${dev}.rp_filter=0`]);
  const raw = createRequire(import.meta.url)('raw-socket') as RawModule;
  const sock = raw.createSocket({ protocol: IPPROTO_IPIP, bufferSize: 65536 });
  try {
    sock.setOption(SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES);
  } catch {
    sock.setOption(SOL_SOCKET, SO_RCVBUF, RCVBUF_BYTES); // without CAP_NET_ADMIN: capped at rmem_max
  }
  const c: DecapCounters = { received: 0, delivered: 0, dropMalformed: 0, dropWrite: 0 };
  sock.on('message', (buf) => {
    c.received++;
    const off = innerOffset(buf, buf.length);
    if (off < 0) { c.dropMalformed++; return; }
    const outerTotal = (buf[2]! << 8) | buf[3]!;
    try {
      writeSync(fd, buf, off, outerTotal - off);
      c.delivered++;
    } catch {
      c.dropWrite++;
    }
  });
  sock.on('error', (e) => {
    process.stderr.write(`ipip-decap: raw socket: ${e.message}\n`);
    process.exit(1);
  });
  const report = (): void => { process.stdout.write(`ipip-decap ${dev}: ${JSON.stringify(c)}\n`); };
  const bye = (): void => { report(); sock.close(); closeSync(fd); process.exit(0); };
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
  process.on('SIGUSR1', report);
  process.stdout.write(`ipip-decap: proto 4 → ${dev} (mtu ${mtu})\n`);
  if (ready) writeFileSync(ready, `${process.pid}\n`);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`ipip-decap: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
