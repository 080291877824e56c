// The `pcap` backend: live capture and injection through libpcap (npm `cap`), behind the same
// PacketIo interface as afpacket. libpcap delivers frames through the event loop, one 'packet'
// event each, into one Buffer; the handler copies each into a bounded pending ring, and recv()
// drains that ring into the caller's slab. So this backend is not blocking: the datapath worker
// waits for onReadable() instead of looping. Frames are filtered 'inbound' in the kernel (BPF) so
// uvs never reads back what it sent. A full pending ring drops and counts. It exists as the
// portable fallback and as the comparison point for afpacket in bench/io.

import { createRequire } from 'node:module';
import type { IoCounters, OpenOptions, PacketIo, Slab } from './backend.js';
import { interfaceInfo } from './afpacket.js';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  send(buffer: Buffer, size: number): void;
  close(): void;
  on(event: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  setMinBytes?(n: number): void;
}

const PENDING_SLOTS = 4096;
const PENDING_SLOT_SIZE = 2048;

export class PcapLiveIo implements PacketIo {
  readonly kind = 'pcap' as const;
  readonly blocking = false;
  readonly ifname: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly mac: Uint8Array;
  private cap: CapHandle | null;
  private readonly rxBuf: Buffer;
  private readonly txBuf: Buffer;
  private readonly pending: Buffer;
  private readonly pendingLen: Uint32Array;
  private txView: Buffer | null;
  private txViewOf: Uint8Array | null;
  private head: number;
  private count: number;
  private received: number;
  private dropped: number;
  private readable: (() => void) | null;
  private notifyQueued: boolean;

  private constructor(ifname: string, info: { index: number; mtu: number; mac: Uint8Array }) {
    this.ifname = ifname;
    this.ifindex = info.index;
    this.mtu = info.mtu;
    this.mac = info.mac;
    this.cap = null;
    this.rxBuf = Buffer.alloc(65536);
    this.txBuf = Buffer.alloc(65536);
    this.pending = Buffer.alloc(PENDING_SLOTS * PENDING_SLOT_SIZE);
    this.txView = null;
    this.txViewOf = null;
    this.pendingLen = new Uint32Array(PENDING_SLOTS);
    this.head = 0;
    this.count = 0;
    this.received = 0;
    this.dropped = 0;
    this.readable = null;
    this.notifyQueued = false;
  }

  static open(ifname: string, opts: OpenOptions = {}): PcapLiveIo {
    const info = readInfo(ifname);
    const io = new PcapLiveIo(ifname, info);
    const require = createRequire(import.meta.url);
    const { Cap } = require('cap') as { Cap: new () => CapHandle };
    const cap = new Cap();
    // cap opens promiscuous always; opts.promisc=false cannot be honoured by this binding.
    void opts;
    try {
      cap.open(ifname, 'inbound', 8 * 1024 * 1024, io.rxBuf);
    } catch (err) {
      throw new Error(`pcap: cannot open '${ifname}': ${err instanceof Error ? err.message : String(err)}`);
    }
    cap.on('packet', (nbytes: number) => io.onPacket(nbytes));
    io.cap = cap;
    return io;
  }

  private onPacket(nbytes: number): void {
    this.received++;
    if (this.count === PENDING_SLOTS) {
      this.dropped++;
      return;
    }
    const n = nbytes > PENDING_SLOT_SIZE ? PENDING_SLOT_SIZE : nbytes;
    const idx = (this.head + this.count) % PENDING_SLOTS;
    this.rxBuf.copy(this.pending, idx * PENDING_SLOT_SIZE, 0, n);
    this.pendingLen[idx] = nbytes;
    this.count++;
    if (this.readable !== null && !this.notifyQueued) {
      // libpcap emits one event per frame inside one dispatch; hand the batch over once it is done.
      this.notifyQueued = true;
      setImmediate(this.notify);
    }
  }

  private readonly notify = (): void => {
    this.notifyQueued = false;
    if (this.readable !== null && this.count > 0) this.readable();
  };

  recv(slab: Slab, first: number, max: number, lens: Uint32Array, _timeoutMs: number): number {
    let n = 0;
    const room = slab.slotSize - slab.headroom;
    while (n < max && this.count > 0) {
      const real = this.pendingLen[this.head]!;
      const len = Math.min(real, room, PENDING_SLOT_SIZE);
      const src = this.head * PENDING_SLOT_SIZE;
      this.pending.copy(slab.u8, (first + n) * slab.slotSize + slab.headroom, src, src + len);
      lens[n] = real;
      this.head = (this.head + 1) % PENDING_SLOTS;
      this.count--;
      n++;
    }
    return n;
  }

  send(buf: Uint8Array, offsets: Uint32Array, lens: Uint32Array, count: number): number {
    const cap = this.cap;
    if (cap === null) return 0;
    if (this.txViewOf !== buf) {
      this.txView = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
      this.txViewOf = buf;
    }
    const view = this.txView as Buffer;
    let sent = 0;
    for (let i = 0; i < count; i++) {
      // cap sends from the start of a Buffer, so each frame is copied into one reused tx Buffer.
      view.copy(this.txBuf, 0, offsets[i], offsets[i] + lens[i]);
      try {
        cap.send(this.txBuf, lens[i]);
        sent++;
      } catch {
        // pcap_sendpacket failed (device down, frame too big): counted by the caller as a tx drop.
      }
    }
    return sent;
  }

  onReadable(cb: (() => void) | null): void {
    this.readable = cb;
    if (cb !== null && this.count > 0 && !this.notifyQueued) {
      this.notifyQueued = true;
      setImmediate(this.notify);
    }
  }

  stats(): IoCounters {
    const r = { packets: this.received, drops: this.dropped };
    this.received = 0;
    this.dropped = 0;
    return r;
  }

  close(): void {
    if (this.cap !== null) this.cap.close();
    this.cap = null;
    this.readable = null;
  }
}

function readInfo(ifname: string): { index: number; mtu: number; mac: Uint8Array } {
  try {
    return interfaceInfo(ifname);
  } catch (err) {
    // Without the native addon, read the same facts from sysfs.
    const require = createRequire(import.meta.url);
    const fs = require('node:fs') as typeof import('node:fs');
    const base = `/sys/class/net/${ifname}`;
    if (!fs.existsSync(base)) throw err;
    const mac = fs.readFileSync(`${base}/address`, 'utf8').trim().split(':').map((h) => parseInt(h, 16));
    return {
      index: Number(fs.readFileSync(`${base}/ifindex`, 'utf8')),
      mtu: Number(fs.readFileSync(`${base}/mtu`, 'utf8')),
      mac: new Uint8Array(mac),
    };
  }
}
