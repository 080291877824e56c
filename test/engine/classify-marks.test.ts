// Service lookup order (§1.1) and the mark classifier (iptables order, non-terminating MARK).
import { describe, expect, it } from 'vitest';
import { ServiceIndex } from '../../src/engine/classify.js';
import { Clock } from '../../src/engine/clock.js';
import { MarkClassifier } from '../../src/engine/marks.js';
import { Service } from '../../src/engine/service.js';
import type { MarkRule } from '../../src/model/config.js';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { getScheduler } from '../../src/sched/registry.js';
import { ip } from '../helpers/frame-builder.js';

function svc(slot: number, proto: number, addr: string, port: number, fwmark = 0): Service {
  const s = new Service(slot, proto, addr ? ip(addr) : 0, port, fwmark, getScheduler('rr')!, () => 1, new Clock());
  s.slot = slot;
  return s;
}

describe('ServiceIndex (ip_vs_service_find)', () => {
  const idx = new ServiceIndex();
  idx.rebuild([svc(0, 6, '10.0.0.100', 80), svc(1, 6, '192.168.1.1', 21), svc(2, 17, '192.168.1.1', 0), svc(3, 0, '', 0, 7), svc(4, 6, '200.0.0.1', 443)]);
  it('fwmark first, then exact', () => {
    expect(idx.find(7, 6, ip('10.0.0.100'), 80)).toBe(3);
    expect(idx.find(8, 6, ip('10.0.0.100'), 80)).toBe(0);
    expect(idx.find(0, 6, ip('200.0.0.1'), 443)).toBe(4);
    expect(idx.find(0, 17, ip('10.0.0.100'), 80)).toBe(-1);
  });
  it('FTP rule: TCP to port 20 or ≥ 1024 falls to the port-21 service; privileged ports do not', () => {
    expect(idx.find(0, 6, ip('192.168.1.1'), 20)).toBe(1);
    expect(idx.find(0, 6, ip('192.168.1.1'), 40000)).toBe(1);
    expect(idx.find(0, 6, ip('192.168.1.1'), 25)).toBe(-1);
  });
  it('port 0 catches any port of its protocol', () => {
    expect(idx.find(0, 17, ip('192.168.1.1'), 53)).toBe(2);
    expect(idx.find(0, 17, ip('10.0.0.100'), 53)).toBe(-1);
  });
});

function rule(o: Partial<MarkRule>): MarkRule {
  return {
    origin: 't', srcAddr: 0, srcMask: 0, srcNegate: false, dstAddr: 0, dstMask: 0, dstNegate: false, protocol: 0, protocolNegate: false,
    srcPorts: [], srcPortsNegate: false, dstPorts: [], dstPortsNegate: false, inIface: '', inIfaceNegate: false, value: 0, mask: 0xffffffff, op: 'xmark', ...o,
  };
}

function pkt(saddr: string, daddr: string, proto: number, sport: number, dport: number, port = 0): PacketDesc {
  const d = new PacketDesc();
  d.saddr = ip(saddr); d.daddr = ip(daddr); d.proto = proto; d.sport = sport; d.dport = dport; d.port = port;
  return d;
}

describe('MarkClassifier', () => {
  it('every matching rule applies in order (MARK does not terminate)', () => {
    const m = new MarkClassifier([
      rule({ dstAddr: ip('10.0.0.100'), dstMask: 0xffffffff, value: 1 }),
      rule({ protocol: 6, dstPorts: [[443, 443]], value: 2, mask: 2, op: 'mark' }),
    ]);
    expect(m.evaluate(pkt('1.2.3.4', '10.0.0.100', 6, 1, 80))).toBe(1);
    expect(m.evaluate(pkt('1.2.3.4', '10.0.0.100', 6, 1, 443))).toBe(3);
    expect(m.evaluate(pkt('1.2.3.4', '10.0.0.101', 6, 1, 443))).toBe(2);
    expect(m.evaluate(pkt('1.2.3.4', '10.0.0.101', 17, 1, 443))).toBe(0);
  });
  it('xmark is (mark & ~mask) ^ value; mark is (mark & ~mask) | value', () => {
    const x = new MarkClassifier([rule({ value: 0x10, mask: 0xff }), rule({ value: 0x11, mask: 0x0f })]);
    expect(x.evaluate(pkt('1.1.1.1', '2.2.2.2', 6, 1, 1))).toBe(0x01);
    const o = new MarkClassifier([rule({ value: 0x10, mask: 0xff, op: 'mark' }), rule({ value: 0x01, mask: 0x01, op: 'mark' })]);
    expect(o.evaluate(pkt('1.1.1.1', '2.2.2.2', 6, 1, 1))).toBe(0x11);
  });
  it('negations, source prefixes, port ranges and -i by interface name (with + wildcard)', () => {
    const m = new MarkClassifier([
      rule({ srcAddr: ip('192.168.0.0'), srcMask: 0xffff0000, srcNegate: true, value: 5 }),
      rule({ protocol: 17, protocolNegate: true, dstPorts: [[1000, 2000]], dstPortsNegate: true, value: 6, op: 'mark', mask: 0 }),
      rule({ inIface: 'eth+', value: 0x100, mask: 0x100, op: 'mark' }),
    ], ['eth0', 'veth-in']);
    expect(m.evaluate(pkt('192.168.3.4', '10.0.0.1', 17, 1, 1500))).toBe(0x100);
    expect(m.evaluate(pkt('10.1.1.1', '10.0.0.1', 17, 1, 1500))).toBe(0x105);
    expect(m.evaluate(pkt('192.168.3.4', '10.0.0.1', 6, 1, 80, 1))).toBe(6);
  });
});
