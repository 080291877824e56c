// The `afpacket` backend: AF_PACKET sockets through the native addon (native/src/afpacket.c).
// One N-API call per receive batch and per transmit batch, straight between the kernel and the
// slab. The addon is loaded with createRequire so a missing build fails only this backend, with a
// message saying how to build it.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RING_FRAMES, type IoCounters, type OpenOptions, type PacketIo, type Slab } from './backend.js';

export interface NativeAfPacket {
  afpOpen(ifname: string, opts: { promisc?: boolean; qdiscBypass?: boolean; mode?: string; rcvbuf?: number; ringFrames?: number; txDontWait?: boolean }): number;
  afpClose(handle: number): void;
  afpRecv(handle: number, slab: ArrayBuffer, slotSize: number, headroom: number, first: number, max: number, lens: Uint32Array, timeoutMs: number): number;
  afpSend(handle: number, buf: Uint8Array, offsets: Uint32Array, lens: Uint32Array, count: number): number;
  afpWait(handles: Int32Array, count: number, timeoutMs: number): number;
  afpStats(handle: number): IoCounters;
  afpIfInfo(ifname: string): { index: number; mtu: number; mac: Uint8Array };
}

let cached: NativeAfPacket | null = null;

/** The native addon, searched from this file up to the package root (works from src/ and dist/src/). */
export function loadNative(): NativeAfPacket {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'uvs_native.node');
    if (existsSync(candidate)) {
      cached = require(candidate) as NativeAfPacket;
      return cached;
    }
    dir = dirname(dir);
  }
  throw new Error('afpacket: native addon not built (run `npm run build:native`; needs a C compiler and node-gyp)');
}

/** Interface facts (index, MTU, MAC) without opening a socket. */
export function interfaceInfo(ifname: string): { index: number; mtu: number; mac: Uint8Array } {
  const info = loadNative().afpIfInfo(ifname);
  return { index: info.index, mtu: info.mtu, mac: new Uint8Array(info.mac) };
}

export class AfPacketIo implements PacketIo {
  readonly kind = 'afpacket' as const;
  readonly blocking = true;
  readonly ifname: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly mac: Uint8Array;
  private handle: number;
  private readonly native: NativeAfPacket;

  private constructor(native: NativeAfPacket, ifname: string, handle: number, info: { index: number; mtu: number; mac: Uint8Array }) {
    this.native = native;
    this.ifname = ifname;
    this.handle = handle;
    this.ifindex = info.index;
    this.mtu = info.mtu;
    this.mac = new Uint8Array(info.mac);
  }

  static open(ifname: string, opts: OpenOptions = {}): AfPacketIo {
    const native = loadNative();
    const info = native.afpIfInfo(ifname);
    // UVS_AFP_TXWAIT=1 (benchmarks only): wait for every ring frame to be released on each send.
    const txDontWait = process.env.UVS_AFP_TXWAIT !== '1';
    const handle = native.afpOpen(ifname, { promisc: opts.promisc ?? false, qdiscBypass: opts.qdiscBypass ?? false, mode: opts.mode ?? 'ringrx', txDontWait, ringFrames: opts.ringFrames ?? DEFAULT_RING_FRAMES });
    return new AfPacketIo(native, ifname, handle, info);
  }

  recv(slab: Slab, first: number, max: number, lens: Uint32Array, timeoutMs: number): number {
    return this.native.afpRecv(this.handle, slab.buffer, slab.slotSize, slab.headroom, first, max, lens, timeoutMs);
  }

  send(buf: Uint8Array, offsets: Uint32Array, lens: Uint32Array, count: number): number {
    if (count === 0) return 0;
    return this.native.afpSend(this.handle, buf, offsets, lens, count);
  }

  /** The addon handle (for waitAny). */
  get handleId(): number {
    return this.handle;
  }

  /**
   * Sleeps in one poll() until any of the sockets has frames or timeoutMs passes; returns a bitmask
   * of the ready ones (bit i = ios[i]). `scratch` is a caller-owned Int32Array (no allocation).
   */
  static waitAny(ios: readonly AfPacketIo[], scratch: Int32Array, timeoutMs: number): number {
    for (let i = 0; i < ios.length; i++) scratch[i] = ios[i]!.handle;
    return ios.length === 0 ? 0 : ios[0]!.native.afpWait(scratch, ios.length, timeoutMs);
  }

  onReadable(): void {
    // Blocking backend: the worker loops on recv() with a poll timeout.
  }

  stats(): IoCounters {
    return this.native.afpStats(this.handle);
  }

  close(): void {
    if (this.handle >= 0) this.native.afpClose(this.handle);
    this.handle = -1;
  }
}
