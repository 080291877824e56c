// uvsadm ↔ daemon over a real Unix socket in a temp directory (handleControlConnection on the
// server side, test/cli/control-server.ts), the local -h/-v answers, -R stdin forwarding, and the no-daemon error.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRestore, main, request, takeSocketOption, type UvsadmIo } from '../../src/cli/uvsadm.js';
import { startControlServer, type ControlServer } from './control-server.js';

function io(stdin = '', env: Record<string, string | undefined> = {}): UvsadmIo & { out: string; err: string; stdinReads: number } {
  const o = {
    out: '',
    err: '',
    stdinReads: 0,
    env,
    stdout: (s: string) => {
      o.out += s;
    },
    stderr: (s: string) => {
      o.err += s;
    },
    readStdin: async () => {
      o.stdinReads++;
      return stdin;
    },
  };
  return o;
}

describe('uvsadm over the control socket', () => {
  let daemon: ControlServer;
  let dir: string;
  let sock: string;

  beforeAll(async () => {
    daemon = await startControlServer('control', () => ({ pid: 1, iface: 'test' }));
    ({ dir, sock } = daemon);
  });

  afterAll(async () => {
    await daemon.close();
  });

  it('runs commands remotely and prints ipvsadm output with its exit code', async () => {
    const a = io();
    expect(await main(['--socket', sock, '-A', '-t', '10.0.0.1:80', '-s', 'rr'], a)).toBe(0);
    expect(a.stdinReads).toBe(0);
    const b = io();
    expect(await main(['-Ln'], { ...b, env: { UVS_SOCKET: sock } })).toBe(0);
    expect(b.out).toBe('IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.0.0.1:80 rr\n');
    const c = io();
    expect(await main([`--socket=${sock}`, '-A', '-t', '10.0.0.1:80'], c)).toBe(255);
    expect(c.err).toBe('Service already exists\n');
  });

  it('forwards stdin only for -R', async () => {
    const r = io('-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m\n');
    expect(await main(['--socket', sock, '-R'], r)).toBe(0);
    expect(r.stdinReads).toBe(1);
    const s = io();
    await main(['--socket', sock, '-S', '-n'], s);
    expect(s.out).toBe('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n');
  });

  it('answers -h and -v locally (no daemon needed)', async () => {
    const v = io();
    expect(await main(['--socket', join(dir, 'none.sock'), '-v'], v)).toBe(0);
    expect(v.out).toBe('ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n');
    const h = io();
    expect(await main(['--socket', join(dir, 'none.sock'), '--help'], h)).toBe(0);
    expect(h.out).toContain('Usage:\n');
  });

  it('no daemon: a clear message and exit 2, as ipvsadm without the ip_vs module', async () => {
    const e = io();
    const missing = join(dir, 'none.sock');
    expect(await main(['--socket', missing, '-L', '-n'], e)).toBe(2);
    expect(e.err).toBe(`Can't initialize ipvs: no uvs daemon answers on ${missing} (ENOENT)\nAre you sure that \`uvs run\` is running (socket: --socket PATH or UVS_SOCKET)?\n`);
  });

  it('status op, malformed lines and unknown ops do not break the connection', async () => {
    expect(await request(sock, { op: 'status' })).toEqual({ pid: 1, iface: 'test' });
    await expect(request(sock, { op: 'nope' })).rejects.toThrow("daemon: unknown op 'nope'");
    await expect(request(sock, { op: 'ipvsadm', argv: 'x' })).rejects.toThrow('argv must be an array');
    // several requests on one connection, one of them not JSON
    const { connect } = await import('node:net');
    const replies = await new Promise<string[]>((resolve, reject) => {
      const c = connect(sock);
      let buf = '';
      c.setEncoding('utf8');
      c.on('data', (d: string) => {
        buf += d;
        const lines = buf.split('\n').filter(Boolean);
        if (lines.length === 3) {
          c.end();
          resolve(lines);
        }
      });
      c.on('error', reject);
      c.write('{"op":"ipvsadm","argv":["-L","--timeout"],"stdin":""}\nnot json\n{"op":"ipvsadm","argv":["-v"],"stdin":""}\n');
    });
    expect(replies.map((l) => JSON.parse(l))).toEqual([
      { stdout: 'Timeout (tcp tcpfin udp): 900 120 300\n', stderr: '', code: 0 },
      { error: 'malformed request: not JSON' },
      { stdout: 'ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n', stderr: '', code: 0 },
    ]);
  });
});

describe('uvsadm argument helpers', () => {
  it('--socket is consumed only before the ipvsadm arguments', () => {
    expect(takeSocketOption(['--socket', '/a', '-L'], {})).toEqual({ socketPath: '/a', args: ['-L'] });
    expect(takeSocketOption(['-L'], { UVS_SOCKET: '/b' })).toEqual({ socketPath: '/b', args: ['-L'] });
    expect(takeSocketOption(['-L', '--socket', '/c'], {}).args).toEqual(['-L', '--socket', '/c']);
  });

  it('recognises -R as ipvsadm would (first option decides)', () => {
    expect(isRestore(['-R'])).toBe(true);
    expect(isRestore(['--restore'])).toBe(true);
    expect(isRestore(['ipvsadm', '-R'])).toBe(true);
    expect(isRestore(['-L', '-R'])).toBe(false);
    expect(isRestore(['-Rn'])).toBe(true);
  });
});
