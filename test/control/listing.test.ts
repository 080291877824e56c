// Golden listings: every -L layout compared line by line with fixtures written from ipvsadm.c's
// printf formats (ipvs-spec.md §6.4–6.10), with worked numbers.

import { describe, expect, it } from 'vitest';
import { FakeStats, dest, expectLines, fixture, newModel, run, setup } from './helpers.js';
import { largeNum } from '../../src/control/listing.js';
import { FMT } from '../../src/control/ipvsadm-args.js';
import { CONN_F_TEMPLATE } from '../../src/model/constants.js';

describe('ipvsadm -L layouts', () => {
  it('-L -n: header, flags, persistence mask, ops, sched flags, trailing spaces', () => {
    const m = newModel();
    setup(
      m,
      '-A -t 10.0.0.1:80 -p -M 255.255.255.0',
      '-a -t 10.0.0.1:80 -r 10.0.0.2',
      '-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m -w 100',
      '-A -u 10.0.0.1:53 -s rr -o',
      '-A -f 1 -s sh -b sh-fallback,sh-port',
    );
    const st = new FakeStats(m);
    st.dest.set('10.0.0.3:8080', dest({ activeConns: 12345, inactConns: 678 }));
    const r = run(m, '-L -n', st);
    expect(r.code).toBe(0);
    expectLines(r.stdout, fixture('listing/list-n.txt'));
    // the bundled form and the long form give the same bytes
    expect(run(m, '-Ln', st).stdout).toBe(r.stdout);
    expect(run(m, '--list --numeric', st).stdout).toBe(r.stdout);
  });

  it('--stats with largenum (123456789 → 123456K)', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2:80');
    const st = new FakeStats(m);
    const s = { conns: 42, inPkts: 420, outPkts: 0, inBytes: 123456789, outBytes: 0 };
    st.svc.set('TCP 10.0.0.1:80', s);
    st.dest.set('10.0.0.2:80', dest({ stats: s }));
    expectLines(run(m, '-L -n --stats', st).stdout, fixture('listing/stats.txt'));
  });

  it('--rate from the estimator after steady traffic (2 conns, 20 pkts, 3000 bytes per 2 s)', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2:80');
    const st = new FakeStats(m);
    for (let t = 1; t <= 50; t++) {
      const s = { conns: 2 * t, inPkts: 20 * t, outPkts: 0, inBytes: 3000 * t, outBytes: 0 };
      st.svc.set('TCP 10.0.0.1:80', s);
      st.dest.set('10.0.0.2:80', dest({ stats: s }));
      m.tickRates(st);
    }
    expectLines(run(m, '-L -n --rate', st).stdout, fixture('listing/rate.txt'));
  });

  it('--thresholds and --persistent-conn for one service (no version header)', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -x 100 -y 50');
    const st = new FakeStats(m);
    st.dest.set('10.0.0.2:80', dest({ activeConns: 3, inactConns: 1, persistConns: 2 }));
    expectLines(run(m, '-L -n --thresholds -t 10.0.0.1:80', st).stdout, fixture('listing/thresholds.txt'));
    const p = newModel();
    setup(p, '-A -t 10.0.0.1:80 -p', '-a -t 10.0.0.1:80 -r 10.0.0.2:80');
    const sp = new FakeStats(p);
    sp.dest.set('10.0.0.2:80', dest({ activeConns: 3, inactConns: 1, persistConns: 2 }));
    expectLines(run(p, '-L -n --persistent-conn -t 10.0.0.1:80', sp).stdout, fixture('listing/persistent-conn.txt'));
  });

  it('--tun-info shows gue:port:flags', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080');
    expectLines(run(m, '-L -n --tun-info -t 10.0.0.1:80').stdout, fixture('listing/tun-info.txt'));
  });

  it('-L -c: connection rows, mm:ss expiry, templates with port 0', () => {
    const m = newModel();
    const st = new FakeStats(m);
    const ip = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
    st.conns = [
      { protocol: 'TCP', caddr: ip('192.168.1.10'), cport: 51234, vaddr: ip('10.0.0.1'), vport: 80, daddr: ip('10.0.0.2'), dport: 80, state: 'ESTABLISHED', expiresInMs: 899_500, flags: 0 },
      { protocol: 'UDP', caddr: ip('192.168.1.10'), cport: 40000, vaddr: ip('10.0.0.1'), vport: 53, daddr: ip('10.0.0.3'), dport: 53, state: 'UDP', expiresInMs: 298_999, flags: 0 },
      { protocol: 'TCP', caddr: ip('192.168.1.10'), cport: 0, vaddr: ip('10.0.0.1'), vport: 80, daddr: ip('10.0.0.2'), dport: 80, state: 'NONE', expiresInMs: 359_000, flags: CONN_F_TEMPLATE },
    ];
    expectLines(run(m, '-L -n -c', st).stdout, fixture('listing/conns.txt'));
    expect(run(m, '-Lnc', st).stdout).toBe(run(m, '-L -n -c', st).stdout);
  });

  it('minutes above 99 and names resolved without -n', () => {
    const m = newModel();
    const st = new FakeStats(m);
    st.conns = [{ protocol: 'TCP', caddr: 0x0a000009, cport: 1234, vaddr: 0x0a000001, vport: 80, daddr: 0x0a000002, dport: 80, state: 'FIN_WAIT', expiresInMs: 6_000_000, flags: 0 }];
    const out = run(m, '-L -c', st).stdout.split('\n')[2];
    expect(out).toBe('TCP 100:00 FIN_WAIT    10.0.0.9:1234      vip.example.org:http web1.example.org:http');
  });

  it('without -n: host and service names, truncation at 33 (service) and 28 (dest)', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m', '-a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m', '-A -t 10.0.0.9:8443');
    const lines = run(m, '-L').stdout.split('\n');
    expect(lines[3]).toBe('TCP  vip.example.org:http wlc');
    expect(lines[4]).toBe('  -> web1.example.org:http        Masq    1      0          0         ');
    expect(lines[5]).toBe('  -> a-very-long-real-server-name Masq    1      0          0         ');
    expect(lines[6]).toBe('TCP  10.0.0.9:8443 wlc');
    const long = newModel();
    setup(long, '-A -t 10.0.0.3:8080');
    // "TCP  a-very-long-real-server-name.example.org:webcache" cut to 33 characters
    expect(run(long, '-L').stdout.split('\n')[3]).toBe('TCP  a-very-long-real-server-name wlc');
  });

  it('IPv6 services and fwmark -6', () => {
    const m = newModel();
    setup(m, '-A -t [2001:db8::1]:80 -s rr', '-a -t [2001:db8::1]:80 -r [2001:db8::10]:80 -m', '-A -f 3 -6 -p 60 -M 64');
    const out = run(m, '-L -n').stdout.split('\n');
    expect(out.slice(3)).toEqual([
      'TCP  [2001:db8::1]:80 rr',
      '  -> [2001:db8::10]:80            Masq    1      0          0         ',
      'FWM  3 IPv6 wlc persistent 60 mask 64',
      '',
    ]);
  });

  it('services sorted as ipvs_cmp_services (C int wrap: 192.168.0.1 before 10.0.0.1), dests by address', () => {
    const m = newModel();
    setup(m, '-A -t 10.0.0.1:80', '-A -t 192.168.0.1:80', '-A -u 1.1.1.1:53', '-A -f 2', '-A -t 10.0.0.1:22', '-a -t 10.0.0.1:80 -r 10.0.0.20', '-a -t 10.0.0.1:80 -r 10.0.0.3');
    const out = run(m, '-L -n').stdout.split('\n').filter((l) => /^(TCP|UDP|FWM|  ->) /.test(l) && !l.includes('RemoteAddress'));
    expect(out.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'TCP 192.168.0.1:80', 'TCP 10.0.0.1:22', 'TCP 10.0.0.1:80', '-> 10.0.0.3:80', '-> 10.0.0.20:80', 'UDP 1.1.1.1:53', 'FWM 2',
    ]);
    // --nosort: dests newest first (kernel order)
    const ns = run(m, '-L -n --nosort -t 10.0.0.1:80').stdout.split('\n');
    expect(ns[3]!.startsWith('  -> 10.0.0.3:80')).toBe(true);
  });

  it('--timeout, --daemon (no sync daemon: prints nothing), -Z zeroes displayed stats', () => {
    const m = newModel();
    expect(run(m, '-L --timeout').stdout).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
    expect(run(m, '--set 0 60 0').code).toBe(0);
    expect(run(m, '-L --timeout').stdout).toBe('Timeout (tcp tcpfin udp): 900 60 300\n');
    expect(run(m, '-L --daemon')).toEqual({ stdout: '', stderr: '', code: 0 });
    setup(m, '-A -t 10.0.0.1:80');
    const st = new FakeStats(m);
    st.svc.set('TCP 10.0.0.1:80', { conns: 5, inPkts: 50, outPkts: 0, inBytes: 5000, outBytes: 0 });
    expect(run(m, '-Z', st).code).toBe(0);
    st.svc.set('TCP 10.0.0.1:80', { conns: 7, inPkts: 60, outPkts: 0, inBytes: 6000, outBytes: 0 });
    expect(run(m, '-L -n --stats --exact', st).stdout.split('\n')[3]).toBe('TCP  10.0.0.1:80                         2       10        0     1000        0');
  });

  it('largenum thresholds and --exact widths', () => {
    expect(largeNum(99_999_999, 0)).toBe(' 99999999');
    expect(largeNum(100_000_000, 0)).toBe('  100000K');
    expect(largeNum(999_999_999, 0)).toBe('  999999K');
    expect(largeNum(1_000_000_000, 0)).toBe('    1000M');
    expect(largeNum(99_999_999_999, 0)).toBe('   99999M');
    expect(largeNum(100_000_000_000, 0)).toBe('     100G');
    expect(largeNum(100_000_000_000_000, 0)).toBe('     100T');
    expect(largeNum(12_345_678, FMT.EXACT)).toBe(' 12345678');
    expect(largeNum(1_234_567_890, FMT.EXACT)).toBe(' 1234567890');
  });
});
