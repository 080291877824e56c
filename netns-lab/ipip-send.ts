// Sends one hand-made IP-in-IP packet, as a TUN-mode director would: an inner IPv4/UDP packet
// CLIENT:SPORT → VIP:DPORT wrapped by the kernel in an outer header (this host → RIP, protocol 4)
// through a raw IPPROTO_IPIP socket. Used by the lab tests to exercise the real servers'
// decapsulation without any director.
// Usage: node ipip-send.js --rip RIP --src CLIENT --dst VIP --sport N --dport N [--payload TEXT]
//          [--count N]   (N copies back to back, 1..100000, default 1: a burst for the decapsulator)

import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

function ipToBytes(ip: string): number[] {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 address '${ip}'`);
  return p;
}

function sum16(buf: Buffer, start: number, end: number, acc = 0): number {
  for (let i = start; i + 1 < end; i += 2) acc += (buf[i]! << 8) | buf[i + 1]!;
  if ((end - start) & 1) acc += buf[end - 1]! << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** An IPv4+UDP packet with correct header and UDP checksums. */
export function buildUdpPacket(src: string, dst: string, sport: number, dport: number, payload: Buffer, id = 0x1234): Buffer {
  const udpLen = 8 + payload.length;
  const b = Buffer.alloc(20 + udpLen);
  b[0] = 0x45;
  b.writeUInt16BE(20 + udpLen, 2);
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(0x4000, 6);
  b[8] = 64;
  b[9] = 17;
  Buffer.from(ipToBytes(src)).copy(b, 12);
  Buffer.from(ipToBytes(dst)).copy(b, 16);
  b.writeUInt16BE(fold(sum16(b, 0, 20)), 10);
  b.writeUInt16BE(sport, 20);
  b.writeUInt16BE(dport, 22);
  b.writeUInt16BE(udpLen, 24);
  payload.copy(b, 28);
  const pseudo = sum16(b, 12, 20) + 17 + udpLen;
  const c = fold(sum16(b, 20, 20 + udpLen, pseudo));
  b.writeUInt16BE(c === 0 ? 0xffff : c, 26);
  return b;
}

interface RawSocket {
  send(buf: Buffer, off: number, len: number, addr: string, cb: (err: Error | null, bytes: number) => void): void;
  close(): void;
}

function arg(argv: string[], name: string): string {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const inner = buildUdpPacket(arg(argv, '--src'), arg(argv, '--dst'), Number(arg(argv, '--sport')), Number(arg(argv, '--dport')),
    Buffer.from(argv.includes('--payload') ? arg(argv, '--payload') : 'hello through the tunnel'));
  const raw = createRequire(import.meta.url)('raw-socket') as { createSocket(o: { protocol: number }): RawSocket };
  const count = argv.includes('--count') ? Number(arg(argv, '--count')) : 1;
  if (!Number.isInteger(count) || count < 1 || count > 100000) throw new Error(`--count must be 1..100000, not '${arg(argv, '--count')}'`);
  const sock = raw.createSocket({ protocol: 4 });
  // All sends are queued at once and counted as raw-socket confirms them. Awaiting each before
  // queueing the next lost bursts: after a few hundred, raw-socket's paused-then-resumed write
  // watcher sometimes never fired again, the event loop emptied and the process ended with status
  // 0 having sent only part of them. 'beforeExit' turns such an early end into an error.
  let sent = 0;
  process.on('beforeExit', () => {
    if (sent < count) {
      process.stderr.write(`ipip-send: only ${sent} of ${count} packets were sent\n`);
      process.exit(1);
    }
  });
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < count; i++) {
      sock.send(inner, 0, inner.length, arg(argv, '--rip'), (err) => {
        if (err) return reject(err);
        if (++sent === count) resolve();
      });
    }
  });
  sock.close();
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) {
  main().catch((e: unknown) => {
    process.stderr.write(`ipip-send: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
