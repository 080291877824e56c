// The packet I/O interface every live backend implements (afpacket over the native addon, pcap over
// libpcap), and the slab they move frames through. The slab is one buffer allocated once, cut into
// fixed-size slots; each slot keeps `headroom` free bytes in front of the frame so a transmitter can
// prepend a header (TUN's outer IPv4) by moving the start offset instead of copying. Backends fill
// slots in receive batches and send frames by (offset, length) pairs in transmit batches: one call
// per batch, nothing allocated per frame.

export type IoKind = 'afpacket' | 'pcap';

export const SLOT_SIZE = 2048;
export const SLOT_HEADROOM = 64;

export class Slab {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly slotSize: number;
  readonly headroom: number;
  readonly slots: number;

  constructor(slots: number, slotSize = SLOT_SIZE, headroom = SLOT_HEADROOM) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError('slab: slots must be a positive integer');
    if (headroom >= slotSize || slotSize < 128) throw new RangeError('slab: slotSize must exceed headroom (and be ≥ 128)');
    this.buffer = new ArrayBuffer(slots * slotSize);
    this.u8 = new Uint8Array(this.buffer);
    this.slotSize = slotSize;
    this.headroom = headroom;
    this.slots = slots;
  }

  /** Byte offset of the frame in slot i (after the headroom). */
  frameOffset(slot: number): number {
    return slot * this.slotSize + this.headroom;
  }

  /** Largest frame a slot holds. */
  get frameRoom(): number {
    return this.slotSize - this.headroom;
  }
}

export interface IoCounters {
  /** Frames the kernel handed to the socket since the last call (PACKET_STATISTICS or pcap_stats). */
  packets: number;
  /** Frames the kernel dropped because the socket's buffer or ring was full. */
  drops: number;
}

/** Frames in each afpacket PACKET_MMAP ring (2 KiB each: 8 MiB), unless `uvs run --ring-frames` says otherwise. */
export const DEFAULT_RING_FRAMES = 4096;

export interface OpenOptions {
  /** Receive frames for every MAC on the wire. */
  promisc?: boolean;
  /** PACKET_QDISC_BYPASS (afpacket only): skip the egress qdisc. */
  qdiscBypass?: boolean;
  /** afpacket kernel interface: 'mmsg' (recvmmsg/sendmmsg) or 'ring' (TPACKET_V2 mmap). */
  mode?: 'mmsg' | 'ring' | 'ringrx';
  /** afpacket ring modes: frames in the rx ring (and the tx ring), 64..65536 (default 4096): what
   * a burst may queue while the worker is busy before the kernel drops (kernelDrops). */
  ringFrames?: number;
}

export interface PacketIo {
  readonly kind: IoKind;
  readonly ifname: string;
  readonly ifindex: number;
  readonly mtu: number;
  /** The interface's MAC address (6 bytes). */
  readonly mac: Uint8Array;
  /**
   * true when recv() may wait in the kernel (poll) so a worker loops on it without spinning;
   * false when frames arrive through the event loop (then recv() only drains what has arrived and
   * onReadable() says when to call it).
   */
  readonly blocking: boolean;
  /**
   * Receives up to `max` frames into slots first .. first+max-1 of the slab; lens[i] gets the length
   * of the frame in slot first+i. Waits up to timeoutMs when nothing is ready (blocking backends).
   * A frame that did not fit its slot is cut and reported with its real length (> slab.frameRoom),
   * so the caller can drop and count it.
   * Returns the number of frames received.
   */
  recv(slab: Slab, first: number, max: number, lens: Uint32Array, timeoutMs: number): number;
  /**
   * Sends count frames: frame i is buf[offsets[i] .. offsets[i]+lens[i]) (buf is usually slab.u8;
   * any Uint8Array over a whole ArrayBuffer works). Returns frames sent.
   */
  send(buf: Uint8Array, offsets: Uint32Array, lens: Uint32Array, count: number): number;
  /** Event-loop backends: cb runs when recv() has frames (null to stop). Blocking backends ignore it. */
  onReadable(cb: (() => void) | null): void;
  stats(): IoCounters;
  close(): void;
}

/** Opens a backend by name. Imported lazily so a missing native addon only fails `--io afpacket`. */
export async function openIo(kind: IoKind, ifname: string, opts: OpenOptions = {}): Promise<PacketIo> {
  if (kind === 'afpacket') {
    const { AfPacketIo } = await import('./afpacket.js');
    return AfPacketIo.open(ifname, opts);
  }
  if (kind === 'pcap') {
    const { PcapLiveIo } = await import('./pcap-live.js');
    return PcapLiveIo.open(ifname, opts);
  }
  throw new Error(`unknown I/O backend '${String(kind)}' (afpacket|pcap)`);
}
