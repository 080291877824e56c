// iptables-save mangle PREROUTING MARK rules → MarkRule[] (src/control/marks.ts).

import { describe, expect, it } from 'vitest';
import { fixture } from './helpers.js';
import { applyMarkRules, parseMarkRules } from '../../src/control/marks.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/model/constants.js';

const ip = (s: string): number => s.split('.').reduce((a, b) => a * 256 + Number(b), 0) >>> 0;

describe('parseMarkRules', () => {
  it('reads a full iptables-save dump: only *mangle PREROUTING, counters, multiport, comments, negation, masks', () => {
    const { rules, errors } = parseMarkRules(fixture('marks/good.rules'), 'good.rules');
    expect(errors).toEqual([]);
    expect(rules).toHaveLength(4);
    expect(rules[0]).toMatchObject({ origin: 'good.rules:9', dstAddr: ip('10.0.0.100'), dstMask: 0xffffffff, protocol: IPPROTO_TCP, dstPorts: [[443, 443]], value: 10, mask: 0xffffffff, op: 'xmark' });
    expect(rules[1]).toMatchObject({ dstPorts: [[80, 80], [8000, 8080]], value: 1, mask: 0xffffffff, op: 'mark' });
    expect(rules[2]).toMatchObject({
      srcAddr: ip('192.168.0.0'), srcMask: 0xffff0000, srcNegate: true, dstAddr: ip('10.0.0.0'), dstMask: 0xffffff00,
      protocol: IPPROTO_UDP, dstPorts: [[53, 53]], dstPortsNegate: true, inIface: 'eth+', value: 2, mask: 0xff, op: 'mark',
    });
    expect(rules[3]).toMatchObject({ srcAddr: ip('10.1.0.0'), srcMask: 0xffff0000, inIface: 'lo', inIfaceNegate: true, value: 0x100, mask: 0x100, op: 'xmark' });
  });

  it('reports every unsupported match/target/chain as file:line and keeps only the rules it can follow', () => {
    const { rules, errors } = parseMarkRules(fixture('marks/bad.rules'), 'bad.rules');
    expect(rules).toHaveLength(1);
    expect(errors).toEqual([
      "bad.rules:3: unsupported option '--tcp-flags'",
      "bad.rules:4: unsupported match '-m state'",
      "bad.rules:5: unsupported target '-j CONNMARK' (only -j MARK)",
      "bad.rules:6: rule in mangle chain 'OUTPUT' is not used by uvs (only PREROUTING is)",
      "bad.rules:7: bad address '10.0.0.300/32' for -d",
      'bad.rules:8: --dport needs -m tcp, -m udp or -m sctp',
      'bad.rules:9: -j MARK without --set-mark/--set-xmark',
      "bad.rules:10: bad port '90:80' for --dport",
      "bad.rules:11: unsupported command '-I' (only -A)",
      'bad.rules:1: table *mangle not closed by COMMIT',
    ]);
  });

  it('bare rules and iptables command lines are read as mangle', () => {
    const { rules, errors } = parseMarkRules('iptables -t mangle -A PREROUTING -d 10.0.0.1/32 -j MARK --set-mark 7\n-A PREROUTING -p udp -j MARK --xor-mark 1\n', 'cmd.rules');
    expect(errors).toEqual([]);
    expect(rules.map((r) => [r.dstAddr, r.value, r.mask, r.op])).toEqual([[ip('10.0.0.1'), 7, 0xffffffff, 'mark'], [0, 1, 0, 'xmark']]);
  });

  it('marks as the kernel computes them: --set-mark ORs, --set-xmark XORs, later rules see earlier marks', () => {
    const { rules } = parseMarkRules(fixture('marks/good.rules'), 'good.rules');
    const pkt = { saddr: ip('192.168.1.1'), daddr: ip('10.0.0.100'), protocol: IPPROTO_TCP, sport: 40000, dport: 443, iface: 'eth0' };
    expect(applyMarkRules(rules, pkt)).toBe(10);
    expect(applyMarkRules(rules, { ...pkt, dport: 8080 })).toBe(1);
    expect(applyMarkRules(rules, { ...pkt, dport: 22 })).toBe(0);
    const udp = { saddr: ip('172.16.0.1'), daddr: ip('10.0.0.7'), protocol: IPPROTO_UDP, sport: 1, dport: 123, iface: 'eth1' };
    expect(applyMarkRules(rules, udp)).toBe(2);
    expect(applyMarkRules(rules, { ...udp, dport: 53 })).toBe(0);
    expect(applyMarkRules(rules, { ...udp, saddr: ip('192.168.5.5') })).toBe(0);
    expect(applyMarkRules(rules, { ...udp, iface: 'wlan0' })).toBe(0);
    expect(applyMarkRules(rules, { ...udp, saddr: ip('10.1.2.3') }, 0xff00)).toBe(0xff02 | 0x100);
  });
});

describe('port ranges', () => {
  it('--dport a:b, open-ended ranges and --sport', () => {
    const { rules, errors } = parseMarkRules('-A PREROUTING -p tcp -m tcp --sport 1024: --dport :1023 -j MARK --set-mark 1\n-A PREROUTING -p udp -m udp --dport 5000:5100 -j MARK --set-mark 2\n', 'p.rules');
    expect(errors).toEqual([]);
    expect(rules.map((r) => [r.srcPorts, r.dstPorts])).toEqual([[[[1024, 65535]], [[0, 1023]]], [[], [[5000, 5100]]]]);
  });
});
