// The DataView the hot path reads and writes multi-byte fields through. V8 compiles
// DataView getUint16/getUint32/setUint16 to one bounds check and a byte-swapped load or store,
// cheaper than assembling bytes from a Uint8Array (bench/packet). One view is kept for the last
// buffer seen: the I/O slab does not change, so this allocates once per slab, never per frame.
// Pass the slab itself (with an offset), not a fresh subarray per frame.

let lastBuf: Uint8Array | null = null;
let lastView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

export function frameView(buf: Uint8Array): DataView<ArrayBufferLike> {
  if (buf !== lastBuf) {
    lastBuf = buf;
    lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return lastView;
}
