// DR fixtures in order (Katran style): each step relies on the conn state made by the earlier ones.
import { describe, expect, it } from 'vitest';
import { eth } from '../helpers/frame-builder.js';
import {
  CLIENT, DIRECTOR_MAC, RIP1, RIP2, RS1_MAC, RS2_MAC, ROUTER_MAC, Rig, VIP, dest, expectFrame, fromClient, service, table,
} from './harness.js';

const toRs = (rsMac: string) => eth({ src: DIRECTOR_MAC, dst: rsMac }).ipv4({ src: CLIENT, dst: VIP, ttl: 63, id: 1 });

describe('engine: DR (Route), rr, one TCP connection from SYN to FIN', () => {
  const rig = new Rig(table([service({ sched: 'rr', dests: [dest(RIP2, 80), dest(RIP1, 80)] })]));

  it('1. SYN creates a conn on the first dest of the list (newest first: RIP2), MACs rewritten', () => {
    const s = rig.send(fromClient().tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'new', template: null, service: 'TCP 10.0.0.100:80', dest: '10.0.0.12:80', fwd: 'Route', port: 0 });
    expectFrame(s.out, toRs(RS2_MAC).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1 }));
    expect(rig.conn(CLIENT, 40000)).toMatchObject({ state: 'SYN_RECV', expiresInMs: 60_000 });
    expect(rig.counts(RIP2, 80)).toEqual([1, 0, 0]);
  });

  it('2. ACK of the same flow hits the conn → ESTABLISHED (900 s)', () => {
    rig.advance(1000);
    const s = rig.send(fromClient().tcp({ sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 1 }));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'hit', dest: '10.0.0.12:80' });
    expectFrame(s.out, toRs(RS2_MAC).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 1 }));
    expect(rig.conn(CLIENT, 40000)).toMatchObject({ state: 'ESTABLISHED', expiresInMs: 900_000 });
  });

  it('3. a second client is scheduled to the next dest (rr)', () => {
    const s = rig.send(fromClient('192.0.2.77').tcp({ sport: 1234, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'new', dest: '10.0.0.11:80' });
    expectFrame(s.out, eth({ src: DIRECTOR_MAC, dst: RS1_MAC }).ipv4({ src: '192.0.2.77', dst: VIP, ttl: 63, id: 1 }).tcp({ sport: 1234, dport: 80, flags: 'S' }));
    expect(rig.counts(RIP1, 80)).toEqual([1, 0, 0]);
  });

  it('4. client FIN (INPUT_ONLY) → FIN_WAIT, counted inactive', () => {
    const s = rig.send(fromClient().tcp({ sport: 40000, dport: 80, flags: 'FA' }));
    expect(s.verdict).toBe('tx');
    expect(rig.conn(CLIENT, 40000)).toMatchObject({ state: 'FIN_WAIT', expiresInMs: 120_000 });
    expect(rig.counts(RIP2, 80)).toEqual([0, 1, 0]);
  });

  it('5. a non-SYN packet of an unknown flow passes (not ours)', () => {
    const s = rig.send(fromClient().tcp({ sport: 5555, dport: 80, flags: 'A' }));
    expect(s).toMatchObject({ verdict: 'pass', conn: 'none' });
  });

  it('6. a packet to a VIP port without a service passes', () => {
    expect(rig.send(fromClient().tcp({ sport: 5555, dport: 443, flags: 'S' })).verdict).toBe('pass');
  });

  it('7. the conn expires after its FIN_WAIT timeout and the dest counters drop', () => {
    rig.advance(120_000);
    expect(rig.conn(CLIENT, 40000)).toBeUndefined();
    expect(rig.counts(RIP2, 80)).toEqual([0, 0, 0]);
  });

  it('8. ARP for the VIP is answered with the director MAC; other ARP passes', () => {
    const req = eth({ src: ROUTER_MAC, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, sha: ROUTER_MAC, spa: '10.0.0.1', tpa: VIP });
    const s = rig.send(req);
    expect(s.verdict).toBe('arp');
    expectFrame(s.out, eth({ src: DIRECTOR_MAC, dst: ROUTER_MAC }).arp({ op: 2, sha: DIRECTOR_MAC, spa: VIP, tha: ROUTER_MAC, tpa: '10.0.0.1' }));
    const other = eth({ src: ROUTER_MAC, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, sha: ROUTER_MAC, spa: '10.0.0.1', tpa: '10.0.0.99' });
    expect(rig.send(other).verdict).toBe('pass');
  });

  it('9. counters: conns, in packets and bytes per service and dest', () => {
    const svcId = [...rig.engine.model.serviceById.keys()][0]!;
    const st = rig.engine.serviceStats(svcId);
    expect(st.conns).toBe(2);
    expect(st.inPkts).toBe(4);
    expect(st.outPkts).toBe(0);
    expect(st.inBytes).toBe(4 * 40);
  });
});
