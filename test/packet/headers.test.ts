// The small header readers/writers, on frames built from scratch.
import { describe, expect, it } from 'vitest';
import { ethType, isBroadcastMac, isMulticastMac, setEthType, writeEthMacs } from '../../src/packet/ethernet.js';
import {
  ecnEncapsulate, ipFragOff, ipIhl, isFirstFragment, isMartianSource, ipSendCheck, ipHeaderValid,
} from '../../src/packet/ipv4.js';
import { tcpDoff } from '../../src/packet/tcp.js';
import { isIcmpError, isIpvsIcmpError } from '../../src/packet/icmp.js';
import { eth, ip, mac, macStr } from '../helpers/frame-builder.js';

describe('header accessors', () => {
  it('reads Ethernet, IPv4 and TCP fields', () => {
    const f = eth({ dst: 'ff:ff:ff:ff:ff:ff' }).ipv4({ src: '1.2.3.4', dst: '5.6.7.8', options: [1, 1, 1, 1], mf: true, fragOffset: 3 })
      .payload(8).build();
    expect(ethType(f, 0)).toBe(0x0800);
    expect(isBroadcastMac(f, 0)).toBe(true);
    expect(isMulticastMac(f, 6)).toBe(false);
    expect(ipIhl(f, 14)).toBe(24);
    expect(ipFragOff(f, 14)).toBe(0x2003);
    expect(isFirstFragment(f, 14)).toBe(false);
    setEthType(f, 0, 0x86dd);
    expect(ethType(f, 0)).toBe(0x86dd);
    writeEthMacs(f, 0, mac('02:00:00:00:00:01'), 0, mac('01:00:5e:00:00:01'), 0);
    expect([macStr(f, 0), macStr(f, 6), isMulticastMac(f, 0)]).toEqual(['01:00:5e:00:00:01', '02:00:00:00:00:01', true]);
    const t = eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8' }).tcp({ sport: 1, dport: 2, options: [1, 1, 1, 1] }).build();
    expect(tcpDoff(t, 34)).toBe(24);
  });

  it('recomputes a header checksum, maps ECN for encapsulation, classifies sources and ICMP types', () => {
    const f = eth().ipv4({ src: '1.2.3.4', dst: '5.6.7.8', csum: 0xdead }).build();
    expect(ipHeaderValid(f, 14, 20)).toBe(false);
    ipSendCheck(f, 14, 20);
    expect(ipHeaderValid(f, 14, 20)).toBe(true);
    expect([ecnEncapsulate(0xbb), ecnEncapsulate(0xb9), ecnEncapsulate(0xb8), ecnEncapsulate(0x03)]).toEqual([0xba, 0xb9, 0xb8, 0x02]);
    expect(['0.0.0.0', '127.0.0.1', '224.0.0.1', '255.255.255.255', '10.0.0.1'].map((a) => isMartianSource(ip(a))))
      .toEqual([true, true, true, true, false]);
    expect([0, 3, 4, 5, 8, 11, 12].map(isIcmpError)).toEqual([false, true, true, true, false, true, true]);
    expect([3, 4, 5, 11, 12].map(isIpvsIcmpError)).toEqual([true, true, false, true, false]);
  });
});
