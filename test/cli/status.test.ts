// `uvs status`: the summary it prints from a status reply (line by line), --json, and the
// no-daemon and bad-argument errors. The reply comes over a real Unix socket served by the
// daemon's own handleControlConnection with a fixed status.

import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatStatus, formatUptime, run } from '../../src/cli/commands/status.js';
import { startControlServer, type ControlServer } from './control-server.js';
import type { StatusReply } from '../../src/control/protocol.js';

const STATUS: StatusReply = {
  pid: 4242,
  iface: 'eth0',
  insideIface: 'eth1',
  io: 'afpacket',
  mode: 'ringrx',
  uptimeS: 3725,
  ports: [
    { ifname: 'eth0', mac: '02:00:00:00:00:01', mtu: 1500, index: 2 },
    { ifname: 'eth1', mac: '02:00:00:00:00:02', mtu: 1400, index: 3 },
  ],
  services: 2,
  counters: {
    rx: 1000, tx: 990, batches: 40, txDrops: 0, oversize: 1, kernelDrops: 2, heldLost: 0,
    arpSent: 3, garpSent: 6, neigh_misses: 2, neigh_probes: 3, neigh_learnt: 2, neigh_failed: 1,
    neigh_held: 4, neigh_released: 3, neigh_holdDrops: 0, neigh_tableFull: 0,
    verdicts: { tx: 990, drop: 9, pass: 1, arp: 0, held: 0 },
    drops: { no_service: 2, no_route: 7 },
  },
  neighbours: [
    { ip: '10.0.0.11', mac: '02:00:00:00:00:11', state: 'REACHABLE', expiresInMs: 28_750 },
    { ip: '172.16.100.12', mac: '02:00:00:00:00:12', state: 'STALE', expiresInMs: 1_000 },
  ],
};

describe('uvs status: the summary', () => {
  it('prints where the director runs, its counters, drops by reason (most first) and neighbours', () => {
    expect(formatStatus(STATUS).split('\n')).toEqual([
      'uvs run pid 4242, up 1 h 2 min: afpacket (ringrx) on eth0 (outside) and eth1 (inside), 2 virtual services',
      '  port eth0: mac 02:00:00:00:00:01, mtu 1500',
      '  port eth1: mac 02:00:00:00:00:02, mtu 1400',
      '',
      'frames      rx 1000  tx 990  batches 40',
      'verdicts    tx 990  drop 9  pass 1',
      'drops       no_route 7  no_service 2',
      'io drops    kernel 2  tx 0  oversize 1  held_lost 0',
      '            (kernel: bursts overflowed the rx ring while the worker was busy; `uvs run --ring-frames N` gives them more room)',
      'arp sent    requests 3  gratuitous 6',
      'neigh cache misses 2  probes 3  learnt 2  failed 1  held 4  released 3  hold_drops 0  table_full 0',
      '',
      'neighbours (2):',
      '  10.0.0.11      02:00:00:00:00:11  REACHABLE  expires in 28.8 s',
      '  172.16.100.12  02:00:00:00:00:12  STALE  expires in 1.0 s',
      '',
    ]);
  });

  it('a fresh director: no verdicts, no drops, no neighbours; pcap has no afpacket mode', () => {
    const fresh: StatusReply = { ...STATUS, io: 'pcap', insideIface: null, uptimeS: 5, services: 1, ports: [STATUS.ports[0]!], counters: { verdicts: { tx: 0 }, drops: {} }, neighbours: [] };
    const lines = formatStatus(fresh).split('\n');
    expect(lines[0]).toBe('uvs run pid 4242, up 5 s: pcap on eth0, 1 virtual service');
    expect(lines).toContain('verdicts    none yet');
    expect(lines).toContain('drops       none');
    expect(lines).toContain('frames      rx 0  tx 0  batches 0');
    expect(lines).toContain('neighbours: none');
    expect(lines.some((l) => l.includes('--ring-frames'))).toBe(false);
  });

  it('uptime reads in the largest sensible units', () => {
    expect([0, 59, 60, 3599, 3600, 86_399, 86_400, 90_000].map(formatUptime)).toEqual(
      ['0 s', '59 s', '1 min 0 s', '59 min 59 s', '1 h 0 min', '23 h 59 min', '1 d 0 h', '1 d 1 h']);
  });
});

describe('uvs status: talking to the daemon', () => {
  let daemon: ControlServer;
  let dir: string;
  let sock: string;
  let out: string;
  let err: string;

  beforeAll(async () => {
    daemon = await startControlServer('status', () => STATUS);
    ({ dir, sock } = daemon);
  });

  afterAll(async () => {
    await daemon.close();
  });

  function capture(): void {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  }
  afterEach(() => { vi.restoreAllMocks(); });

  it('prints the summary of the daemon on --socket', async () => {
    capture();
    expect(await run(['--socket', sock])).toBe(0);
    expect(out).toBe(formatStatus(STATUS));
    expect(err).toBe('');
  });

  it('--json prints the reply as the daemon sent it', async () => {
    capture();
    expect(await run([`--socket=${sock}`, '--json'])).toBe(0);
    expect(JSON.parse(out)).toEqual(STATUS);
  });

  it('no daemon: says where it looked, exit 1', async () => {
    capture();
    const missing = join(dir, 'none.sock');
    expect(await run(['--socket', missing])).toBe(1);
    expect(err).toMatch(new RegExp(`^uvs status: no uvs daemon answers on ${missing}: .*ENOENT`));
    expect(out).toBe('');
  });

  it('bad arguments: the usage on stderr, exit 2', async () => {
    capture();
    expect(await run(['--bogus'])).toBe(2);
    expect(err).toBe("uvs status: unknown option '--bogus'\nUsage: uvs status [--socket PATH] [--json]\n");
    capture();
    expect(await run(['--socket'])).toBe(2);
    expect(err).toContain('option --socket needs a value');
  });
});
