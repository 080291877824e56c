// The daemon hands the datapath only what it forwards (IPv4); an IPv6 service in the control
// table must not make the engine refuse the whole table (and so every later IPv4 change).
import { describe, expect, it } from 'vitest';
import { datapathTable } from '../../src/daemon/datapath-table.js';
import { Clock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { ControlModel } from '../../src/control/model.js';
import { zeroStats, type StatsSource } from '../../src/model/snapshot.js';

const noStats: StatsSource = {
  serviceStats: () => zeroStats(),
  destCounters: () => ({ activeConns: 0, inactConns: 0, persistConns: 0, overloaded: false, stats: zeroStats() }),
  connections: () => [],
};

function modelWith(cmds: string[][]): ControlModel {
  const m = new ControlModel();
  for (const c of cmds) expect(m.execute(c, '', noStats).code, c.join(' ')).toBe(0);
  return m;
}

describe('datapathTable', () => {
  const m = modelWith([
    ['-A', '-t', '10.0.0.100:80', '-s', 'rr'],
    ['-a', '-t', '10.0.0.100:80', '-r', '10.0.0.11:80', '-g'],
    ['-A', '-t', '[2001:db8::100]:80', '-s', 'rr'],
    ['-a', '-t', '[2001:db8::100]:80', '-r', '[2001:db8::11]:80', '-g'],
  ]);

  it('keeps IPv4 services and names the IPv6 ones it leaves out', () => {
    const { table, notForwarded } = datapathTable(m.snapshot());
    expect(table.services.map((s) => `${s.addr}:${s.port}`)).toEqual(['10.0.0.100:80']);
    expect(table.services[0]!.dests.map((d) => d.addr)).toEqual(['10.0.0.11']);
    expect(notForwarded).toEqual(['TCP [2001:db8::100]:80']);
  });

  it('gives the engine a table it accepts, where the whole table is refused', () => {
    const engine = new Engine({ clock: new Clock(0), maxConns: 1024 });
    expect(engine.applyTable(m.snapshot()).length).toBeGreaterThan(0);
    expect(engine.applyTable(datapathTable(m.snapshot()).table)).toEqual([]);
  });
});
