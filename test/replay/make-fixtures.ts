// Replay fixtures: the rules and the input capture of each golden scenario, generated from
// builder frames with uvs's own pcap writer. `UPDATE_GOLDENS=1 npx vitest run test/replay`
// rewrites in.pcap and the expected outputs (then check the decisions by hand before committing).
//
// Scenario "basic" (the README's first job): one director MAC, VIP 10.0.0.100,
//   TCP :80  rr  DR   → 10.0.0.11, 10.0.0.12
//   TCP :443 wlc -p 360 NAT → 10.0.0.21:8443, 10.0.0.22:8443
//   UDP :53  rr  TUN  → 10.0.0.31
//   TCP :25  rr  (no dests: ICMP port unreachable)
import { PcapWriter } from '../../src/io/pcapfile.js';
import { eth, type FrameBuilder } from '../helpers/frame-builder.js';

export const ROUTER_MAC = '02:00:00:00:00:fe';
export const DIRECTOR_MAC = '02:00:00:00:00:01';
export const VIP = '10.0.0.100';
export const CLIENT_A = '192.0.2.10';
export const CLIENT_B = '192.0.2.20';

export const BASIC_RULES = `-A -t 10.0.0.100:80 -s rr
-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1
-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1
-A -t 10.0.0.100:443 -s wlc -p 360
-a -t 10.0.0.100:443 -r 10.0.0.21:8443 -m -w 1
-a -t 10.0.0.100:443 -r 10.0.0.22:8443 -m -w 1
-A -u 10.0.0.100:53 -s rr
-a -u 10.0.0.100:53 -r 10.0.0.31:53 -i -w 1
-A -t 10.0.0.100:25 -s rr
`;

/** The extra replay arguments the scenario needs besides --rules/--in/--out/--decisions. */
export const BASIC_ARGS = ['--mac', DIRECTOR_MAC, '--addr', '10.0.0.2', '--neigh', '10.0.0.11=02:00:00:00:00:11', '--neigh', '10.0.0.12=02:00:00:00:00:12'];

const c2d = (src: string): FrameBuilder => eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src, dst: VIP, ttl: 64, id: 7, df: true });

export function basicFrames(): Array<[number, Uint8Array]> {
  const f: Array<[number, FrameBuilder | Uint8Array]> = [];
  let t = 1000;
  const at = (b: FrameBuilder | Uint8Array, dt = 100): void => { f.push([t, b]); t += dt; };
  at(eth({ src: ROUTER_MAC, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, sha: ROUTER_MAC, spa: '10.0.0.1', tpa: VIP }));
  at(c2d(CLIENT_A).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 100 }));
  at(c2d(CLIENT_A).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 101, ack: 5001 }));
  at(c2d(CLIENT_A).tcp({ sport: 40000, dport: 80, flags: 'PA', seq: 101, ack: 5001 }).payload('GET / HTTP/1.0\r\n\r\n'));
  at(c2d(CLIENT_B).tcp({ sport: 40001, dport: 80, flags: 'S', seq: 900 }));
  at(c2d(CLIENT_A).tcp({ sport: 40000, dport: 80, flags: 'FA', seq: 119, ack: 5001 }));
  at(c2d(CLIENT_B).tcp({ sport: 50000, dport: 80, flags: 'A', seq: 1, ack: 1 }));
  at(c2d(CLIENT_A).tcp({ sport: 41000, dport: 443, flags: 'S', seq: 7000 }));
  at(eth({ src: '02:00:00:00:00:22', dst: DIRECTOR_MAC }).ipv4({ src: '10.0.0.22', dst: CLIENT_A, ttl: 64, id: 9, df: true }).tcp({ sport: 8443, dport: 41000, flags: 'SA', seq: 3000, ack: 7001 }));
  at(c2d(CLIENT_A).tcp({ sport: 41000, dport: 443, flags: 'A', seq: 7001, ack: 3001 }));
  at(c2d(CLIENT_A).tcp({ sport: 41001, dport: 443, flags: 'S', seq: 8000 }));
  at(c2d(CLIENT_A).udp({ sport: 5353, dport: 53 }).payload('dns?'));
  at(c2d(CLIENT_B).tcp({ sport: 40002, dport: 25, flags: 'S', seq: 1 }));
  const trunc = c2d(CLIENT_B).tcp({ sport: 40003, dport: 80, flags: 'S' }).build().slice(0, 30);
  at(trunc);
  at(c2d(CLIENT_A).icmp({ type: 8, id: 1, seq: 1 }).payload('ping'), 1_000_000);
  at(c2d(CLIENT_A).tcp({ sport: 41002, dport: 443, flags: 'S', seq: 9000 }));
  return f.map(([ts, b]) => [ts, b instanceof Uint8Array ? b : b.build()]);
}

export function writeCapture(path: string, frames: Array<[number, Uint8Array]>): void {
  const w = new PcapWriter(path);
  for (const [ts, fr] of frames) w.write(ts, fr);
  w.close();
}

// Scenario "expiry": persistence template timing across capture time gaps (-p 60, DR, rr):
// a template that still controls a conn at its timeout is re-armed for 60 s and keeps the
// client on its dest; once its conns are gone it expires and the client is scheduled afresh.
export const EXPIRY_RULES = `-A -t 10.0.0.100:80 -s rr -p 60
-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1
-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1
`;

export function expiryFrames(): Array<[number, Uint8Array]> {
  const s = 10_000;
  const f: Array<[number, FrameBuilder]> = [
    [s, c2d(CLIENT_A).tcp({ sport: 1, dport: 80, flags: 'S' })],
    [s + 100, c2d(CLIENT_A).tcp({ sport: 1, dport: 80, flags: 'A' })],
    // 61 s later: the template (60 s) was due while conn 1 lived → re-armed, still used
    [s + 61_000, c2d(CLIENT_A).tcp({ sport: 2, dport: 80, flags: 'S' })],
    [s + 61_100, c2d(CLIENT_A).tcp({ sport: 2, dport: 80, flags: 'A' })],
    [s + 62_000, c2d(CLIENT_A).tcp({ sport: 1, dport: 80, flags: 'R' })],
    [s + 62_100, c2d(CLIENT_A).tcp({ sport: 2, dport: 80, flags: 'R' })],
    // conns gone 10 s after their RST; the template, refreshed at +61 s with its now 60 s timeout,
    // is still there at +120 s (hit) and refreshed to +180 s; at +181 s it has expired (new, rr moves on)
    [s + 120_000, c2d(CLIENT_A).tcp({ sport: 3, dport: 80, flags: 'S' })],
    [s + 120_050, c2d(CLIENT_A).tcp({ sport: 3, dport: 80, flags: 'A' })],
    [s + 120_100, c2d(CLIENT_A).tcp({ sport: 3, dport: 80, flags: 'R' })],
    [s + 181_000, c2d(CLIENT_A).tcp({ sport: 4, dport: 80, flags: 'S' })],
    [s + 181_100, c2d(CLIENT_B).tcp({ sport: 5, dport: 80, flags: 'S' })],
  ];
  return f.map(([ts, b]) => [ts, b.build()]);
}
