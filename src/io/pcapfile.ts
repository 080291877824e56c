// Capture files for `uvs replay`: reading pcap and pcapng through libpcap's offline reader (the npm
// `pcap` package), and a small pcap writer (classic little-endian format, microsecond stamps,
// Ethernet link type) for the output capture and for generating test fixtures.
// Reading streams: libpcap hands frames one by one to a callback, which sees a reused buffer
// (valid only during the call), the capture timestamp in milliseconds, and the captured and
// original lengths.

import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

export const LINKTYPE_ETHERNET = 1;

interface OfflineSession {
  link_type: string;
  on(ev: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void;
  on(ev: 'complete', cb: () => void): void;
  close(): void;
}

interface PcapModule {
  createOfflineSession(path: string, opts: Record<string, unknown>): OfflineSession;
}

export type FrameCallback = (tsMs: number, frame: Uint8Array, capLen: number, origLen: number) => void;

/**
 * Read every frame of a pcap/pcapng file in order. Rejects with a clear message for a missing or
 * unreadable file, a file that is not a capture, or a link type other than Ethernet.
 */
export function readCapture(path: string, onFrame: FrameCallback): Promise<number> {
  return new Promise((resolve, reject) => {
    let pcap: PcapModule;
    try {
      pcap = createRequire(import.meta.url)('pcap') as PcapModule;
    } catch (err) {
      reject(new Error(`cannot load the 'pcap' package (libpcap offline reader): ${(err as Error).message}`));
      return;
    }
    let session: OfflineSession;
    try {
      session = pcap.createOfflineSession(path, {});
    } catch (err) {
      reject(new Error(`${path}: ${(err as Error).message.replace(`${path}: `, '')}`));
      return;
    }
    if (session.link_type !== 'LINKTYPE_ETHERNET') {
      session.close();
      reject(new Error(`${path}: link type ${session.link_type} is not supported (Ethernet captures only)`));
      return;
    }
    let n = 0;
    let failed: Error | null = null;
    session.on('packet', (p) => {
      if (failed) return;
      const h = p.header;
      const sec = h.readUInt32LE(0);
      const usec = h.readUInt32LE(4);
      const capLen = h.readUInt32LE(8);
      const origLen = h.readUInt32LE(12);
      try {
        onFrame(sec * 1000 + usec / 1000, p.buf, Math.min(capLen, p.buf.length), origLen);
      } catch (err) {
        failed = err as Error;
      }
      n++;
    });
    session.on('complete', () => {
      session.close();
      if (failed) reject(failed);
      else resolve(n);
    });
  });
}

/** Writes a classic pcap file (magic a1b2c3d4, v2.4, LE, Ethernet), buffering records. */
export class PcapWriter {
  private fd: number;
  private buf: Buffer;
  private used: number;
  frames: number;

  constructor(path: string, snapLen = 65535) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.alloc(1 << 16);
    this.used = 0;
    this.frames = 0;
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(snapLen, 16);
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    writeSync(this.fd, h);
  }

  /** One record: timestamp in ms (microsecond precision kept), frame bytes. */
  write(tsMs: number, frame: Uint8Array, off = 0, len = frame.length - off, origLen = len): void {
    if (this.used + 16 + len > this.buf.length) this.flush();
    if (16 + len > this.buf.length) this.buf = Buffer.alloc(16 + len);
    let sec = Math.floor(tsMs / 1000);
    let usec = Math.round((tsMs - sec * 1000) * 1000);
    if (usec >= 1_000_000) { sec += 1; usec -= 1_000_000; }
    const b = this.buf;
    let o = this.used;
    b.writeUInt32LE(sec >>> 0, o); o += 4;
    b.writeUInt32LE(usec, o); o += 4;
    b.writeUInt32LE(len, o); o += 4;
    b.writeUInt32LE(Math.max(origLen, len), o); o += 4;
    b.set(frame.subarray(off, off + len), o);
    this.used = o + len;
    this.frames++;
  }

  flush(): void {
    if (this.used > 0) writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
