// The daemon's pure parts: option parsing, SIGHUP reconciliation (only what changed changes, ids
// kept), the nft sets derived from a table, metrics text, --metrics addresses, trace lines.

import { describe, expect, it } from 'vitest';
import { ControlModel, NO_STATS } from '../../src/control/model.js';
import { parseRulesFile } from '../../src/control/rules-file.js';
import { guardStateOf, reconcile } from '../../src/daemon/daemon.js';
import { parseListen, renderMetrics } from '../../src/daemon/metrics.js';
import { parseRunArgs } from '../../src/cli/commands/run.js';
import { formatTrace } from '../../src/cli/commands/trace.js';

const BASE = `-A -t 10.0.0.100:80 -s rr
-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1
-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1
-A -u 10.0.0.100:53 -s wrr
-a -u 10.0.0.100:53 -r 10.1.0.11:53 -m -w 2
`;

function model(text: string): ControlModel {
  const m = new ControlModel();
  const { table, errors } = parseRulesFile(text, 'rules');
  expect(errors).toEqual([]);
  expect(reconcile(m, table, NO_STATS)).toEqual([]);
  return m;
}

describe('reconcile (SIGHUP)', () => {
  it('builds the table from nothing, dests in file order', () => {
    const m = model(BASE);
    const s = m.current.services;
    expect(s.map((x) => `${x.protocol} ${x.addr}:${x.port} ${x.sched}`)).toEqual(['tcp 10.0.0.100:80 rr', 'udp 10.0.0.100:53 wrr']);
    // ipvsadm -S lists dests as the kernel keeps them; the same file read back gives the same order.
    const again = parseRulesFile(BASE, 'rules').table;
    expect(s[0]!.dests.map((d) => d.addr)).toEqual(again.services[0]!.dests.map((d) => d.addr));
  });

  it('changes only what changed: ids of untouched services and dests stay', () => {
    const m = model(BASE);
    const before = m.snapshot();
    let notified = 0;
    m.onChange(() => notified++);
    const next = BASE.replace('-r 10.0.0.12:80 -g -w 1', '-r 10.0.0.12:80 -g -w 5').replace('-s wrr', '-s wlc') + '-a -t 10.0.0.100:80 -r 10.0.0.13:80 -g\n';
    expect(reconcile(m, parseRulesFile(next, 'rules').table, NO_STATS)).toEqual([]);
    const after = m.snapshot();
    expect(notified).toBe(1);
    expect(after.services.map((s) => s.id)).toEqual(before.services.map((s) => s.id));
    const d11 = (t: typeof after) => t.services[0]!.dests.find((d) => d.addr === '10.0.0.11')!;
    expect(d11(after).id).toBe(d11(before).id);
    expect(after.services[0]!.dests.find((d) => d.addr === '10.0.0.12')!.weight).toBe(5);
    expect(after.services[0]!.dests.some((d) => d.addr === '10.0.0.13')).toBe(true);
    expect(after.services[1]!.sched).toBe('wlc');
  });

  it('deletes services and dests that left the file', () => {
    const m = model(BASE);
    const only = '-A -t 10.0.0.100:80 -s rr\n-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1\n';
    expect(reconcile(m, parseRulesFile(only, 'rules').table, NO_STATS)).toEqual([]);
    expect(m.current.services.length).toBe(1);
    expect(m.current.services[0]!.dests.map((d) => d.addr)).toEqual(['10.0.0.11']);
  });

  it('a table identical to the running one changes nothing', () => {
    const m = model(BASE);
    let notified = 0;
    m.onChange(() => notified++);
    reconcile(m, parseRulesFile(BASE, 'rules').table, NO_STATS);
    expect(m.snapshot()).toEqual(model(BASE).snapshot());
    expect(notified).toBeLessThanOrEqual(1);
  });
});

describe('guardStateOf', () => {
  it('VIPs of every IPv4 service and the NAT real servers only', () => {
    const g = guardStateOf(model(BASE).snapshot());
    expect(g.vips).toEqual([0x0a000064, 0x0a000064]);
    expect(g.rips).toEqual([0x0a01000b]);
  });
});

describe('uvs run options', () => {
  it('parses the documented options', () => {
    const o = parseRunArgs(['--iface', 'eth0', '--inside-iface', 'eth1', '--rules', 'r', '--io', 'pcap', '--max-conns', '1000', '--socket', '/tmp/s', '--metrics', '127.0.0.1:9100', '--marks', 'm'], {});
    expect(o).toMatchObject({ iface: 'eth0', insideIface: 'eth1', rules: 'r', io: 'pcap', maxConns: 1000, socket: '/tmp/s', metrics: '127.0.0.1:9100', marks: 'm' });
  });

  it('refuses bad combinations with a clear text', () => {
    expect(parseRunArgs([], {})).toMatch(/--iface is required/);
    expect(parseRunArgs(['--iface', 'a', '--io', 'dpdk'], {})).toMatch(/--io must be afpacket or pcap/);
    expect(parseRunArgs(['--iface', 'a', '--rules', 'x', '--keepalived', 'y'], {})).toMatch(/cannot be used together/);
    expect(parseRunArgs(['--iface', 'a', '--max-conns', 'lots'], {})).toMatch(/--max-conns/);
    expect(parseRunArgs(['--iface', 'a', '--bogus'], {})).toMatch(/unknown option '--bogus'/);
    expect(parseRunArgs(['--iface'], {})).toMatch(/needs a value/);
    expect(parseRunArgs(['--iface', 'a', '--main-nice', '20'], {})).toMatch(/--main-nice must be an integer between -20 and 19/);
  });

  it('--ring-frames sizes the afpacket rings (default 4096), within the addon\'s 64..65536', () => {
    expect(parseRunArgs(['--iface', 'a'], {})).toMatchObject({ ringFrames: 4096 });
    expect(parseRunArgs(['--iface', 'a', '--ring-frames', '32768'], {})).toMatchObject({ ringFrames: 32768 });
    expect(parseRunArgs(['--iface', 'a', '--ring-frames', '63'], {})).toBe('uvs run: --ring-frames must be an integer between 64 and 65536');
    expect(parseRunArgs(['--iface', 'a', '--ring-frames', '1e9'], {})).toMatch(/--ring-frames must be/);
  });

  it('lowers the main thread to nice 10 unless told otherwise', () => {
    expect(parseRunArgs(['--iface', 'a'], {})).toMatchObject({ mainNice: 10 });
    expect(parseRunArgs(['--iface', 'a', '--main-nice', '0'], {})).toMatchObject({ mainNice: 0 });
    expect(parseRunArgs(['--iface', 'a', '--main-nice=-5'], {})).toMatchObject({ mainNice: -5 });
  });
});

describe('metrics', () => {
  it('--metrics addresses default to loopback', () => {
    expect(parseListen('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen(':9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseListen('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListen('nope')).toBeNull();
  });

  it('renders Prometheus text with escaped labels', () => {
    const table = model(BASE).snapshot();
    const svc = table.services[0]!;
    const text = renderMetrics({
      table,
      snapshot: {
        services: { [svc.id]: { conns: 3, inPkts: 10, outPkts: 0, inBytes: 600, outBytes: 0 } },
        dests: {}, conns: [], counters: { rx: 12, tx: 11, neigh_probes: 2 }, neighbours: [],
      },
      verdicts: { tx: 11, drop: 1 },
      drops: { no_dest: 1 },
      uptimeS: 5,
    });
    expect(text).toContain('# TYPE uvs_rx_frames_total counter\nuvs_rx_frames_total 12');
    expect(text).toContain('uvs_service_connections_total{service="TCP 10.0.0.100:80"} 3');
    expect(text).toContain('uvs_neighbour_events_total{event="probes"} 2');
    expect(text).toContain('uvs_drops_total{reason="no_dest"} 1');
    expect(text).toContain('uvs_dest_weight{service="TCP 10.0.0.100:80",dest="10.0.0.11:80",fwd="Route"} 1');
  });
});

describe('uvs trace lines', () => {
  it('one human-readable line per decision', () => {
    const line = formatTrace({ i: 1, ts: 1.5, port: 0, verdict: 'tx', service: 'TCP 10.0.0.100:80', dest: '10.0.0.11:80', fwd: 'Route', conn: 'new', template: null, proto: 'TCP', src: '10.0.0.2:4000', dst: '10.0.0.100:80' });
    expect(line).toMatch(/^\s+1\.500\s+out\s+TCP 10\.0\.0\.2:4000 → 10\.0\.0\.100:80\s+tx\s+TCP 10\.0\.0\.100:80\s+→ 10\.0\.0\.11:80\s+Route\s+conn=new$/);
    const drop = formatTrace({ i: 2, ts: 2, port: 1, verdict: 'drop', service: null, dest: null, fwd: null, conn: 'none', template: null, reason: 'no_dest', proto: 'UDP', src: '1.2.3.4:5', dst: '10.0.0.100:53' });
    expect(drop).toContain('reason=no_dest');
    expect(drop).toContain(' in ');
  });
});
