// The in-memory I/O rings, and the engine driven through them the way `uvs run` drives a live
// backend: receive a batch into slab slots (with headroom), process, send TX frames and the
// engine's extra frames in one batch.
import { describe, expect, it } from 'vitest';
import { Slab } from '../../src/io/backend.js';
import { FrameRing, MemoryIo } from '../../src/io/memory.js';
import { VERDICT_ARP, VERDICT_TX } from '../../src/engine/engine.js';
import { eth } from '../helpers/frame-builder.js';
import { RIP1, ROUTER_MAC, Rig, VIP, dest, fromClient, service, table } from './harness.js';

describe('FrameRing / MemoryIo', () => {
  it('a full ring drops and counts instead of growing; frames come out in order', () => {
    const r = new FrameRing(2, 64);
    expect(r.push(Uint8Array.of(1))).toBe(true);
    expect(r.push(Uint8Array.of(2, 2))).toBe(true);
    expect(r.push(Uint8Array.of(3))).toBe(false);
    expect(r.push(new Uint8Array(65))).toBe(false);
    expect(r.drops).toBe(2);
    expect(r.drain().map((f) => [...f])).toEqual([[1], [2, 2]]);
  });

  it('drives the engine like uvs run: recv batch → processFrame → send batch', () => {
    const rig = new Rig(table([service({ port: 25, dests: [dest(RIP1, 25, { weight: 0 })] }), service({ dests: [dest(RIP1, 80)] })]));
    const e = rig.engine;
    const io = new MemoryIo('mem0', Uint8Array.of(2, 0, 0, 0, 0, 0xd1));
    const slab = new Slab(8);
    io.rx.push(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }).build());
    io.rx.push(eth({ src: ROUTER_MAC, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, sha: ROUTER_MAC, spa: '10.0.0.1', tpa: VIP }).build());
    io.rx.push(fromClient().tcp({ sport: 2, dport: 25, flags: 'S' }).build());
    const lens = new Uint32Array(8);
    const n = io.recv(slab, 0, 8, lens);
    expect(n).toBe(3);
    const offs = new Uint32Array(8), outLens = new Uint32Array(8);
    let m = 0;
    e.resetExtra();
    e.tick();
    const d = e.desc;
    for (let i = 0; i < n; i++) {
      d.buf = slab.u8; d.off = slab.frameOffset(i); d.len = lens[i]!; d.port = 0;
      const v = e.processFrame(d);
      if (v === VERDICT_TX || v === VERDICT_ARP) { offs[m] = d.off; outLens[m] = d.len; m++; }
    }
    expect(io.send(slab.u8, offs, outLens, m)).toBe(2);
    for (let k = 0; k < e.extraCount; k++) { offs[k] = e.extraOff[k]!; outLens[k] = e.extraLen[k]!; }
    expect(io.send(e.extraBuf, offs, outLens, e.extraCount)).toBe(1);
    const sent = io.tx.drain();
    expect(sent.length).toBe(3);
    expect([...sent[0]!.subarray(0, 6)]).toEqual([2, 0, 0, 0, 0, 0x11]);
    expect(sent[1]![12]! << 8 | sent[1]![13]!).toBe(0x0806);
    expect(sent[2]![14 + 9]).toBe(1);
    expect([...sent[1]!.subarray(6, 12)]).toEqual([2, 0, 0, 0, 0, 0xd1]);
  });
});
