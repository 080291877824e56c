// frameView(): one DataView per buffer, reused; two buffers alternate without new views.
import { describe, expect, it } from 'vitest';
import { frameView } from '../../src/packet/view.js';

describe('frameView', () => {
  it('returns the same view for the same buffer, keeps two, honours byteOffset', () => {
    const a = new Uint8Array(16);
    const big = new Uint8Array(32);
    const b = big.subarray(8);
    const va = frameView(a);
    const vb = frameView(b);
    expect(frameView(a)).toBe(va);
    expect(frameView(b)).toBe(vb);
    expect(frameView(a)).toBe(va);
    big[8] = 0x12;
    big[9] = 0x34;
    expect(vb.getUint16(0)).toBe(0x1234);
    const c = new Uint8Array(4);
    frameView(c);
    // c and a (most recently used) are now the two kept; b gets a new view.
    expect(frameView(a)).toBe(va);
    expect(frameView(b)).not.toBe(vb);
  });
});
