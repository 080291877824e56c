// The DataView the hot path reads and writes multi-byte fields through. V8 compiles
// DataView getUint16/getUint32/setUint16 to one bounds check and a byte-swapped load or store,
// cheaper than assembling bytes from a Uint8Array (bench/packet). Views are kept for the last two
// buffers seen (a worker's receive slabs, e.g. one per interface), so after the first frame of
// each slab this never allocates. Pass the slab itself (with an offset), not a fresh subarray per
// frame.

let buf0: Uint8Array | null = null;
let view0: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let buf1: Uint8Array | null = null;
let view1: DataView<ArrayBufferLike> = view0;

export function frameView(buf: Uint8Array): DataView<ArrayBufferLike> {
  if (buf === buf0) return view0;
  if (buf === buf1) {
    // Most recent first.
    const v = view1;
    buf1 = buf0;
    view1 = view0;
    buf0 = buf;
    view0 = v;
    return v;
  }
  buf1 = buf0;
  view1 = view0;
  buf0 = buf;
  view0 = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return view0;
}
