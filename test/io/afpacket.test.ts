// The native AF_PACKET addon over a real veth pair between two namespaces: frames sent in one
// batch arrive byte for byte, in both kernel interfaces (recvmmsg/sendmmsg and the TPACKET_V2
// ring), the socket does not read back its own transmissions, and errors are clear.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Lab, isRoot } from './netns.js';
import { loadNative, interfaceInfo } from '../../src/io/afpacket.js';

const tool = join(__dirname, 'fixtures', 'afp-tool.mjs');

function frame(i: number, size: number): string {
  const b = Buffer.alloc(size);
  Buffer.from('02aabbccdd02', 'hex').copy(b, 0); // dst
  Buffer.from('02aabbccdd01', 'hex').copy(b, 6); // src
  b.writeUInt16BE(0x88b5, 12);
  for (let j = 14; j < size; j++) b[j] = (i * 31 + j) & 0xff;
  return b.toString('hex');
}

describe.runIf(isRoot())('afpacket addon over veth (root)', () => {
  const lab = new Lab('afp');
  let a = '';
  let b = '';
  beforeAll(() => {
    a = lab.ns('a');
    b = lab.ns('b');
    lab.link(a, 'va', b, 'vb');
  });
  afterAll(() => lab.cleanup());

  for (const mode of ['mmsg', 'ring', 'ringrx']) {
    it(`sends a batch and receives the exact bytes (${mode})`, async () => {
      const frames = [frame(1, 60), frame(2, 200), frame(3, 1514), frame(4, 64)];
      const rx = lab.spawn(b, process.execPath, [tool, 'recv', 'vb', String(frames.length), '4000', mode]);
      const lines: string[] = [];
      rx.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
      for (let i = 0; i < 500 && !lines.includes('READY'); i++) await new Promise((r) => setTimeout(r, 10));
      const out = lab.exec(a, process.execPath, [tool, 'send', 'va', mode, ...frames]);
      expect(out.trim()).toBe(`SENT ${frames.length}`);
      for (let i = 0; i < 200 && !lines.includes('DONE'); i++) await new Promise((r) => setTimeout(r, 25));
      const got = lines.filter((l) => l !== 'READY' && l !== 'DONE');
      expect(got).toEqual(frames);
    });
  }

  it('the rx ring holds as many frames as ringFrames asks; the kernel drops and counts the rest', async () => {
    const burst = async (ringFrames: number): Promise<string> => {
      const rx = lab.spawn(b, process.execPath, [tool, 'hold', 'vb', 'ringrx', String(ringFrames), '1500']);
      const lines: string[] = [];
      rx.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
      for (let i = 0; i < 500 && !lines.includes('READY'); i++) await new Promise((r) => setTimeout(r, 10));
      // 300 frames in 5 batches (the tool's slab holds 64) while the receiver reads nothing.
      for (let k = 0; k < 5; k++) {
        const out = lab.exec(a, process.execPath, [tool, 'send', 'va', 'mmsg', ...Array.from({ length: 60 }, (_, i) => frame(k * 60 + i, 60))]);
        expect(out.trim()).toBe('SENT 60');
      }
      for (let i = 0; i < 200 && !lines.some((l) => l.startsWith('GOT')); i++) await new Promise((r) => setTimeout(r, 25));
      return lines.find((l) => l.startsWith('GOT')) ?? 'no answer';
    };
    expect(await burst(512)).toBe('GOT 300 DROPS 0');
    const small = /^GOT (\d+) DROPS (\d+)$/.exec(await burst(64));
    expect(small).not.toBeNull();
    expect(Number(small![1])).toBeLessThanOrEqual(64);
    expect(Number(small![2])).toBeGreaterThanOrEqual(300 - 64);
  });

  it('does not read back its own transmissions (PACKET_IGNORE_OUTGOING)', async () => {
    // Receiver and sender on the same interface: nothing may come back.
    const rx = lab.spawn(a, process.execPath, [tool, 'recv', 'va', '1', '600', 'mmsg']);
    const lines: string[] = [];
    rx.stdout?.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    for (let i = 0; i < 200 && !lines.includes('READY'); i++) await new Promise((r) => setTimeout(r, 10));
    lab.exec(a, process.execPath, [tool, 'send', 'va', 'mmsg', frame(9, 100)]);
    for (let i = 0; i < 200 && !lines.includes('DONE'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(lines).toEqual(['READY', 'DONE']);
  });
});

describe('afpacket addon errors', () => {
  it('names a missing interface', () => {
    const native = loadNative();
    expect(() => native.afpOpen('uvs-no-such0', {})).toThrow(/no such interface 'uvs-no-such0'/);
    expect(() => interfaceInfo('uvs-no-such0')).toThrow(/no such interface/);
    try { native.afpOpen('uvs-no-such0', {}); } catch (e) { expect((e as { code: string }).code).toBe('ENODEV'); }
  });

  it('the pcap backend and openIo name a missing interface too', async () => {
    const { PcapLiveIo } = await import('../../src/io/pcap-live.js');
    const { openIo } = await import('../../src/io/backend.js');
    expect(() => PcapLiveIo.open('uvs-no-such0')).toThrow(/no such interface 'uvs-no-such0'/);
    await expect(openIo('afpacket', 'uvs-no-such0')).rejects.toThrow(/no such interface/);
    await expect(openIo('bogus' as 'pcap', 'lo')).rejects.toThrow(/unknown I\/O backend 'bogus'/);
  });

  it('rejects bad arguments without crashing', () => {
    const native = loadNative();
    expect(() => native.afpOpen('', {})).toThrow(/1-15 characters/);
    expect(() => native.afpOpen('lo', { mode: 'bogus' })).toThrow(/mode must be/);
    expect(() => native.afpRecv(63, new ArrayBuffer(4096), 2048, 64, 0, 1, new Uint32Array(1), 0)).toThrow(/bad or closed handle/);
  });

  it.runIf(isRoot())('reports the loopback interface facts', () => {
    const info = interfaceInfo('lo');
    expect(info.index).toBe(1);
    expect(info.mac.length).toBe(6);
    expect(info.mtu).toBeGreaterThan(1000);
  });
});
