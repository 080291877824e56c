// Benchmark input: a slab of BATCH TCP frames (one per client port) written with the packet
// layer's own field writers, each in a slot with headroom as the I/O slab lays them out.

import { checksum, pseudoHeaderSum, wr16, wr32 } from '../../src/packet/checksum.js';
import { ipSendCheck } from '../../src/packet/ipv4.js';

export const BATCH = 256;
export const SLOT = 256;
export const HEADROOM = 64;
export const PAYLOAD = 6;
export const FRAME_LEN = 14 + 20 + 20 + PAYLOAD;

export const CLIENT = 0xc000020a; // 192.0.2.10
export const VIP = 0x0a000064; // 10.0.0.100
export const RIP = 0x0a00000b; // 10.0.0.11
export const DIP = 0x0a000002; // 10.0.0.2
export const MACS = Uint8Array.of(2, 0, 0, 0, 0, 0xd1, 2, 0, 0, 0, 0, 0x11, 2, 0, 0, 0, 0, 0xfe);

/** Write one Ethernet/IPv4/TCP frame at off (ACK unless flags say otherwise; dst+src MACs from macs). */
export function writeTcpFrame(b: Uint8Array, off: number, saddr: number, daddr: number, sport: number, dport: number, flags = 0x10, macs: Uint8Array = MACS.subarray(0, 12)): void {
  b.set(macs, off);
  wr16(b, off + 12, 0x0800);
  const l3 = off + 14;
  b[l3] = 0x45;
  b[l3 + 1] = 0;
  wr16(b, l3 + 2, 20 + 20 + PAYLOAD);
  wr16(b, l3 + 4, sport);
  wr16(b, l3 + 6, 0x4000);
  b[l3 + 8] = 64;
  b[l3 + 9] = 6;
  wr32(b, l3 + 12, saddr);
  wr32(b, l3 + 16, daddr);
  ipSendCheck(b, l3, 20);
  const l4 = l3 + 20;
  wr16(b, l4, sport);
  wr16(b, l4 + 2, dport);
  wr32(b, l4 + 4, 1000 + sport);
  wr32(b, l4 + 8, 2000);
  b[l4 + 12] = 0x50;
  b[l4 + 13] = flags;
  wr16(b, l4 + 14, 65535);
  wr16(b, l4 + 16, 0);
  wr16(b, l4 + 18, 0);
  for (let i = 0; i < PAYLOAD; i++) b[l4 + 20 + i] = i;
  wr16(b, l4 + 16, checksum(b, l4, 20 + PAYLOAD, pseudoHeaderSum(saddr, daddr, 6, 20 + PAYLOAD)));
}

/** A slab of BATCH client→VIP:80 frames (inbound) or RIP:8080→client frames (NAT replies). */
export function makeSlab(reply: boolean): Uint8Array {
  const b = new Uint8Array(BATCH * SLOT);
  for (let i = 0; i < BATCH; i++) {
    const off = i * SLOT + HEADROOM;
    if (reply) writeTcpFrame(b, off, RIP, CLIENT, 8080, 20000 + i);
    else writeTcpFrame(b, off, CLIENT, VIP, 20000 + i, 80);
  }
  return b;
}
