// `uvs replay` with --marks (fwmark service) over a pcapng capture (written here by a minimal
// pcapng writer: section header, one Ethernet interface, enhanced packet blocks).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../src/cli/commands/replay.js';
import { eth } from '../helpers/frame-builder.js';

const tmp = mkdtempSync(join(tmpdir(), 'uvs-replay-ng-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

function pcapng(frames: Array<[number, Uint8Array]>): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(1, 0);
  idb.writeUInt32LE(65535, 4);
  const parts = [block(0x0a0d0d0a, shb), block(1, idb)];
  for (const [tsMs, f] of frames) {
    const us = BigInt(Math.round(tsMs * 1000));
    const h = Buffer.alloc(20);
    h.writeUInt32LE(0, 0);
    h.writeUInt32LE(Number(us >> 32n), 4);
    h.writeUInt32LE(Number(us & 0xffffffffn), 8);
    h.writeUInt32LE(f.length, 12);
    h.writeUInt32LE(f.length, 16);
    parts.push(block(6, Buffer.concat([h, Buffer.from(f)])));
  }
  return Buffer.concat(parts);
}

describe('uvs replay: --marks and pcapng input', () => {
  it('marked ports go to the fwmark service with one persistence template; unmarked pass', async () => {
    const rules = join(tmp, 'rules'), marks = join(tmp, 'marks'), cap = join(tmp, 'in.pcapng'), dec = join(tmp, 'd.jsonl');
    writeFileSync(rules, '-A -f 1 -s rr -p 120\n-a -f 1 -r 10.0.0.11:0 -g -w 1\n-a -f 1 -r 10.0.0.12:0 -g -w 1\n');
    writeFileSync(marks, '*mangle\n-A PREROUTING -d 10.0.0.100/32 -p tcp -m multiport --dports 80,443 -j MARK --set-mark 1\nCOMMIT\n');
    const c = () => eth({ src: '02:00:00:00:00:fe', dst: '02:00:00:00:00:01' }).ipv4({ src: '192.0.2.10', dst: '10.0.0.100', ttl: 64 });
    writeFileSync(cap, pcapng([
      [5000, c().tcp({ sport: 1, dport: 80, flags: 'S' }).build()],
      [5500, c().tcp({ sport: 2, dport: 443, flags: 'S' }).build()],
      [6000, c().tcp({ sport: 3, dport: 22, flags: 'S' }).build()],
    ]));
    expect(await replay(['--rules', rules, '--marks', marks, '--in', cap, '--decisions', dec])).toBe(0);
    const lines = readFileSync(dec, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { i: 0, ts: 5, verdict: 'tx', service: 'FWM 1', dest: '10.0.0.12:0', fwd: 'Route', conn: 'new', template: 'new' },
      { i: 1, ts: 5.5, verdict: 'tx', service: 'FWM 1', dest: '10.0.0.12:0', fwd: 'Route', conn: 'new', template: 'hit' },
      { i: 2, ts: 6, verdict: 'pass', service: null, dest: null, fwd: null, conn: 'none', template: null },
    ]);
  });
});
