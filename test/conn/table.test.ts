import { describe, expect, it } from 'vitest';
import { ConnTable } from '../../src/conn/table.js';
import { CONN_F_MASQ, CONN_F_DROUTE, CONN_F_TEMPLATE } from '../../src/model/constants.js';

function put(t: ConnTable, proto: number, caddr: number, cport: number, vaddr: number, vport: number, daddr: number, dport: number, flags = 0): number {
  const i = t.alloc();
  if (i < 0) return i;
  t.setProto(i, proto); t.caddr[i] = caddr; t.cport[i] = cport; t.vaddr[i] = vaddr; t.vport[i] = vport; t.setDaddr(i, daddr); t.dport[i] = dport;
  t.setFlags(i, t.flagsOf(i) | flags);
  t.link(i);
  return i;
}

describe('ConnTable', () => {
  it('finds a conn by the in key and (NAT) by the out key, templates only by the template key', () => {
    const t = new ConnTable(64, 42);
    const a = put(t, 6, 0xc0000201, 40000, 0x0a000064, 80, 0x0a000015, 8080, CONN_F_MASQ);
    const dr = put(t, 6, 0xc0000201, 40001, 0x0a000064, 80, 0x0a000016, 80, CONN_F_DROUTE);
    const tpl = put(t, 6, 0xc0000201, 0, 0x0a000064, 80, 0x0a000015, 8080, CONN_F_TEMPLATE);
    expect(t.lookupIn(6, 0xc0000201, 40000, 0x0a000064, 80)).toBe(a);
    expect(t.lookupIn(17, 0xc0000201, 40000, 0x0a000064, 80)).toBe(-1);
    expect(t.lookupIn(6, 0xc0000201, 40000, 0x0a000064, 81)).toBe(-1);
    // reply from the RS 10.0.0.21:8080 to the client
    expect(t.lookupOut(6, 0x0a000015, 8080, 0xc0000201, 40000)).toBe(a);
    expect(t.lookupOut(6, 0x0a000015, 80, 0xc0000201, 40000)).toBe(-1);
    // non-MASQ conns compare the virtual side
    expect(t.lookupOut(6, 0x0a000064, 80, 0xc0000201, 40001)).toBe(dr);
    expect(t.lookupIn(6, 0xc0000201, 0, 0x0a000064, 80)).toBe(-1);
    expect(t.lookupTemplate(6, 0xc0000201, 0x0a000064, 80)).toBe(tpl);
    expect(t.lookupTemplate(6, 0xc0000201, 0x0a000064, 0)).toBe(-1);
  });

  it('full table refuses new entries, keeps existing ones, and frees without tombstones', () => {
    const t = new ConnTable(8, 1);
    const ids: number[] = [];
    for (let k = 0; k < 8; k++) ids.push(put(t, 17, 0x01020300 + k, 1000 + k, 0x0a000064, 53, 0x0a00001f, 53));
    expect(put(t, 17, 0x05050505, 1, 0x0a000064, 53, 0x0a00001f, 53)).toBe(-1);
    for (let k = 0; k < 8; k++) expect(t.lookupIn(17, 0x01020300 + k, 1000 + k, 0x0a000064, 53)).toBe(ids[k]);
    // free and reuse thousands of times: lookups stay correct, count stays bounded
    for (let round = 0; round < 2000; round++) {
      const victim = ids[round % 8]!;
      const caddr = t.caddr[victim]!, cport = t.cport[victim]!;
      t.free(victim);
      expect(t.lookupIn(17, caddr, cport, 0x0a000064, 53)).toBe(-1);
      const n = put(t, 17, 0x0b000000 + round, 2000 + (round % 1000), 0x0a000064, 53, 0x0a00001f, 53);
      expect(n).toBeGreaterThanOrEqual(0);
      ids[round % 8] = n;
      expect(t.count).toBe(8);
    }
    for (const i of ids) expect(t.lookupIn(17, t.caddr[i]!, t.cport[i]!, 0x0a000064, 53)).toBe(i);
  });

  it('colliding chains: many conns of one client all findable, unlink from the middle of a chain', () => {
    const t = new ConnTable(4096, 7);
    const ids = new Map<number, number>();
    for (let p = 1; p <= 3000; p++) ids.set(p, put(t, 6, 0x0a0b0c0d, p, 0x0a000064, 80, 1, 80));
    for (let p = 1; p <= 3000; p += 2) { t.free(ids.get(p)!); ids.delete(p); }
    for (let p = 1; p <= 3000; p++) expect(t.lookupIn(6, 0x0a0b0c0d, p, 0x0a000064, 80)).toBe(ids.get(p) ?? -1);
  });

  it('the hash is seeded: two seeds spread the same keys differently', () => {
    const a = new ConnTable(1024, 1), b = new ConnTable(1024, 2);
    let same = 0;
    for (let k = 0; k < 100; k++) if (a.hash(6, 0x0a000000 + k, 80) === b.hash(6, 0x0a000000 + k, 80)) same++;
    expect(same).toBeLessThan(10);
  });

  it('stays under 128 bytes per conn at 1,000,000 conns (typed arrays, wheel links included)', () => {
    const t = new ConnTable(1_000_000);
    const perConn = (t.byteSize() + 2 * 4 * 1_000_000 + 4096 * 4) / 1_000_000;
    expect(perConn).toBeLessThanOrEqual(128);
  });
});
