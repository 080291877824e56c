// Persistence fixtures (§3): PPC, PCC (port 0), fwmark, netmask, template refresh only by new
// conns, template expiry with the 60 s re-arm while it controls conns, invalid templates
// (dest deleted, quiescent with expire_quiescent_template).
import { describe, expect, it } from 'vitest';
import { SVC_F_PERSISTENT } from '../../src/model/constants.js';
import { ip } from '../helpers/frame-builder.js';
import { CLIENT, CLIENT2, RIP1, RIP2, RIP3, Rig, VIP, dest, fromClient, service, table } from './harness.js';

const P = SVC_F_PERSISTENT;

describe('engine: persistent port service (PPC), -p 360', () => {
  const d1 = dest(RIP1, 80), d2 = dest(RIP2, 80);
  const svc = service({ sched: 'rr', flags: P, timeoutS: 360, dests: [d2, d1] });
  const rig = new Rig(table([svc]));

  it('first SYN: new template and conn; template key (TCP, client, 0, VIP, 80) → dest port', () => {
    const s = rig.send(fromClient().tcp({ sport: 1000, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ verdict: 'tx', conn: 'new', template: 'new', dest: '10.0.0.12:80' });
    const [t] = rig.templates();
    expect(t).toMatchObject({ protocol: 'TCP', caddr: ip(CLIENT), cport: 0, vaddr: ip(VIP), vport: 80, daddr: ip(RIP2), dport: 80, state: 'NONE', expiresInMs: 360_000 });
    expect(rig.counts(RIP2, 80)).toEqual([1, 0, 1]);
  });

  it('ESTABLISHED makes the template ASSURED', () => {
    rig.send(fromClient().tcp({ sport: 1000, dport: 80, flags: 'A' }));
    expect(rig.templates()[0]!.state).toBe('ASSURED');
  });

  it('packets of existing conns do not refresh the template; a new conn through it does', () => {
    rig.advance(100_000);
    rig.send(fromClient().tcp({ sport: 1000, dport: 80, flags: 'PA' }).payload('x'));
    expect(rig.templates()[0]!.expiresInMs).toBe(260_000);
    const s = rig.send(fromClient().tcp({ sport: 1001, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ conn: 'new', template: 'hit', dest: '10.0.0.12:80' });
    expect(rig.templates()[0]!.expiresInMs).toBe(360_000);
  });

  it('another client gets its own template (rr moves on)', () => {
    const s = rig.send(fromClient(CLIENT2).tcp({ sport: 5, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ template: 'new', dest: '10.0.0.11:80' });
  });

  it('template expiry while it still controls conns: re-armed for 60 s, repeatedly, then deleted', () => {
    // conn 1000 is ESTABLISHED (900 s), so at the template's 360 s it is re-armed.
    rig.advance(360_000);
    const t = rig.templates().find((x) => x.caddr === ip(CLIENT))!;
    expect(t.expiresInMs).toBe(60_000);
    // a new conn now extends it by only 60 s (the stored timeout is now 60 s)
    rig.advance(30_000);
    rig.send(fromClient().tcp({ sport: 1002, dport: 80, flags: 'S' }));
    expect(rig.templates().find((x) => x.caddr === ip(CLIENT))!.expiresInMs).toBe(60_000);
    // kill every conn of CLIENT with RST: CLOSE (10 s)
    // (conn 1001 never got past SYN_RECV and expired after 60 s)
    expect(rig.conn(CLIENT, 1001)).toBeUndefined();
    rig.send(fromClient().tcp({ sport: 1002, dport: 80, flags: 'A' }));
    for (const p of [1000, 1002]) rig.send(fromClient().tcp({ sport: p, dport: 80, flags: 'R' }));
    expect(rig.conn(CLIENT, 1002)).toMatchObject({ state: 'CLOSE', expiresInMs: 10_000 });
    rig.advance(10_000);
    expect(rig.conn(CLIENT, 1000)).toBeUndefined();
    expect(rig.templates().find((x) => x.caddr === ip(CLIENT))).toBeDefined();
    rig.advance(50_000);
    expect(rig.templates().find((x) => x.caddr === ip(CLIENT))).toBeUndefined();
    expect(rig.counts(RIP2, 80)[2]).toBe(0);
  });

  it('a deleted dest invalidates its template in place (vport/dport 0xFFFF) and a new one is made', () => {
    const rig2 = new Rig(table([svc]));
    rig2.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    const svc2 = { ...svc, dests: [d1] };
    expect(rig2.engine.applyTable(table([svc2]))).toEqual([]);
    const s = rig2.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'S' }));
    expect(s).toMatchObject({ template: 'new', dest: '10.0.0.11:80' });
    const tpls = rig2.templates();
    expect(tpls.length).toBe(2);
    expect(tpls.find((x) => x.daddr === ip(RIP2))).toMatchObject({ vport: 0xffff, dport: 0xffff, cport: 0 });
  });
});

describe('engine: quiescent dest and expire_quiescent_template', () => {
  const d1 = dest(RIP1, 80), d2 = dest(RIP2, 80);
  const mk = (w: number) => table([service({ id: 500, sched: 'rr', flags: P, timeoutS: 300, dests: [{ ...d2, weight: w }, d1] })]);
  it('default 0: a client with a template keeps going to the weight-0 dest', () => {
    const rig = new Rig(mk(1));
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    rig.engine.applyTable(mk(0));
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'S' }))).toMatchObject({ template: 'hit', dest: '10.0.0.12:80' });
  });
  it('1: the template is invalid, a new dest is scheduled', () => {
    const rig = new Rig(mk(1), { expireQuiescentTemplate: true });
    rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    rig.engine.applyTable(mk(0));
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 80, flags: 'S' }))).toMatchObject({ template: 'new', dest: '10.0.0.11:80' });
  });
});

describe('engine: PCC (port-0 service) keeps the client port; netmask groups clients', () => {
  const rig = new Rig(table([service({ port: 0, sched: 'rr', flags: P, timeoutS: 60, netmask: '255.255.255.0', dests: [dest(RIP1, 0), dest(RIP2, 0)] })]));
  it('any port of the VIP goes through one template (vport 0) per /24', () => {
    const a = rig.send(fromClient().tcp({ sport: 7, dport: 22, flags: 'S' }));
    expect(a).toMatchObject({ conn: 'new', template: 'new', service: 'TCP 10.0.0.100:0', dest: '10.0.0.11:0' });
    const b = rig.send(fromClient(CLIENT2).tcp({ sport: 8, dport: 443, flags: 'S' }));
    expect(b).toMatchObject({ template: 'hit', dest: '10.0.0.11:0' });
    const [t] = rig.templates();
    expect(t).toMatchObject({ caddr: ip('192.0.2.0'), vport: 0, dport: 0 });
    expect(rig.conn(CLIENT2, 8)).toMatchObject({ dport: 443 });
    expect(rig.send(fromClient('198.51.100.1').tcp({ sport: 9, dport: 22, flags: 'S' }))).toMatchObject({ template: 'new', dest: '10.0.0.12:0' });
  });
});

describe('engine: fwmark service with persistence, marks from iptables rules', () => {
  const marks = [{
    origin: 'marks:1', srcAddr: 0, srcMask: 0, srcNegate: false, dstAddr: ip(VIP), dstMask: 0xffffffff, dstNegate: false,
    protocol: 6, protocolNegate: false, srcPorts: [], srcPortsNegate: false, dstPorts: [[80, 80], [443, 443]] as Array<[number, number]>,
    dstPortsNegate: false, inIface: '', inIfaceNegate: false, value: 1, mask: 0xffffffff, op: 'xmark' as const,
  }];
  const rig = new Rig(table([service({ fwmark: 1, addr: '', port: 0, sched: 'rr', flags: P, timeoutS: 100, dests: [dest(RIP3, 0), dest(RIP1, 0)] })], marks));
  it('80 and 443 share one IP-protocol template keyed by the mark; unmarked ports pass', () => {
    const a = rig.send(fromClient().tcp({ sport: 1, dport: 80, flags: 'S' }));
    expect(a).toMatchObject({ verdict: 'tx', service: 'FWM 1', dest: '10.0.0.13:0', template: 'new' });
    const b = rig.send(fromClient().tcp({ sport: 2, dport: 443, flags: 'S' }));
    expect(b).toMatchObject({ dest: '10.0.0.13:0', template: 'hit' });
    const [t] = rig.templates();
    expect(t).toMatchObject({ protocol: 'IP', vaddr: 1, vport: 0, dport: 0 });
    expect(rig.conn(CLIENT, 2)).toMatchObject({ dport: 443 });
    expect(rig.send(fromClient().tcp({ sport: 3, dport: 22, flags: 'S' })).verdict).toBe('pass');
  });
});

describe('engine: FTP (port 21) persistence catches data connections', () => {
  it('control on 21 and passive data on a high port share the template with vport 0', () => {
    const rig = new Rig(table([service({ port: 21, sched: 'rr', flags: P, timeoutS: 300, dests: [dest(RIP1, 21), dest(RIP2, 21)] })]));
    expect(rig.send(fromClient().tcp({ sport: 1, dport: 21, flags: 'S' }))).toMatchObject({ template: 'new', dest: '10.0.0.11:21' });
    expect(rig.templates()[0]).toMatchObject({ vport: 0, dport: 0 });
    expect(rig.send(fromClient().tcp({ sport: 2, dport: 30000, flags: 'S' }))).toMatchObject({ template: 'hit', service: 'TCP 10.0.0.100:21', dest: '10.0.0.11:21' });
    expect(rig.conn(CLIENT, 2)).toMatchObject({ dport: 30000 });
    // privileged non-20 port: not caught
    expect(rig.send(fromClient().tcp({ sport: 3, dport: 25, flags: 'S' })).verdict).toBe('pass');
  });
});
