// Robustness: every fixture frame truncated at every length, and random frames (time-boxed
// fast-check), go through processFrame() without throwing; each yields a known verdict, and a
// truncated frame is never sent on as if whole.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SVC_F_PERSISTENT } from '../../src/model/constants.js';
import { eth, icmpQuote } from '../helpers/frame-builder.js';
import { CLIENT, DIRECTOR_MAC, RIP1, RIP2, RS1_MAC, ROUTER_MAC, Rig, VIP, dest, fromClient, service, table } from './harness.js';

function fixtures(): Array<[Uint8Array, number]> {
  const rs = eth({ src: RS1_MAC, dst: DIRECTOR_MAC }).ipv4({ src: RIP1, dst: CLIENT, ttl: 64 });
  const reply = eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 63 }).tcp({ sport: 80, dport: 1, flags: 'A' }).build();
  return [
    [fromClient().tcp({ sport: 1, dport: 80, flags: 'S', options: [2, 4, 5, 0xb4] }).build(), 0],
    [fromClient().tcp({ sport: 1, dport: 80, flags: 'PA' }).payload('hello world').build(), 0],
    [fromClient().udp({ sport: 2, dport: 53 }).payload('query').build(), 0],
    [rs.tcp({ sport: 8080, dport: 1, flags: 'SA' }).build(), 1],
    [rs.udp({ sport: 5353, dport: 2 }).payload('x').build(), 1],
    [fromClient().icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(reply)).build(), 0],
    [fromClient().icmp({ type: 8, id: 1, seq: 1 }).payload('ping').build(), 0],
    [eth({ src: ROUTER_MAC, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, sha: ROUTER_MAC, spa: '10.0.0.1', tpa: VIP }).build(), 0],
    [eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC, vlan: 5 }).ipv4({ src: CLIENT, dst: VIP, ttl: 64 }).tcp({ sport: 3, dport: 443, flags: 'S' }).build(), 0],
    [eth({ src: ROUTER_MAC, dst: DIRECTOR_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 64, mf: true, id: 9 }).udp({ sport: 4, dport: 53 }).payload(64).build(), 0],
  ];
}

function rig(): Rig {
  return new Rig(table([
    service({ dests: [dest(RIP1, 8080, { fwd: 'Masq' }), dest(RIP2, 80)] }),
    service({ protocol: 'udp', port: 53, dests: [dest(RIP1, 5353, { fwd: 'Masq' })] }),
    service({ port: 443, flags: SVC_F_PERSISTENT, timeoutS: 60, dests: [dest(RIP2, 443, { fwd: 'Tunnel' })] }),
  ]));
}

describe('engine robustness', () => {
  it('every fixture truncated at every length: no throw, a known verdict, counted', () => {
    const r = rig();
    const fx = fixtures();
    for (const [f, port] of fx) r.send(f, port);
    let n = 0;
    for (const [f, port] of fx) {
      for (let len = 0; len <= f.length; len++) {
        const s = r.send(f.slice(0, len), port);
        expect(['tx', 'drop', 'pass', 'arp']).toContain(s.verdict);
        if (s.verdict === 'drop') expect(s.reason).not.toBeNull();
        n++;
      }
    }
    const e = r.engine.stats.verdicts;
    expect(e[0]! + e[1]! + e[2]! + e[3]!).toBe(n + fx.length);
  });

  it('random frames and random mutations of fixtures never throw (time-boxed)', () => {
    const r = rig();
    const fx = fixtures();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 200 }),
          fc.tuple(fc.integer({ min: 0, max: fx.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
            .map(([k, muts]) => {
              const f = fx[k]![0].slice();
              for (const [at, v] of muts) f[at % f.length] = v;
              return f;
            }),
        ),
        fc.integer({ min: 0, max: 1 }),
        (frame, port) => {
          const s = r.send(frame, port);
          return ['tx', 'drop', 'pass', 'arp'].includes(s.verdict);
        },
      ),
      { numRuns: 3000, interruptAfterTimeLimit: 3000, seed: 42 },
    );
  });
});
