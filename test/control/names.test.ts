// Host/service name lookups as the C library answers them (first match wins) and the C-library
// address forms ipvsadm accepts.

import { describe, expect, it } from 'vitest';
import { StaticResolver } from '../../src/control/names.js';
import { inetAton, inetNtop6, inetPton6, stringToNumber } from '../../src/control/inet.js';

describe('names', () => {
  it('gethostbyname: first IPv4 line; gethostbyaddr: canonical (first) name; IPv6 forms normalised', () => {
    const r = new StaticResolver('# c\n10.0.0.1 a.example a\n10.0.0.1 b.example\n10.0.0.2 a\n2001:DB8:0:0::1 six.example\n::1 localhost6\n', '');
    expect(r.hostToAddr('a')).toBe(0x0a000001);
    expect(r.hostToAddr('A.EXAMPLE')).toBe(0x0a000001);
    expect(r.hostToAddr('six.example')).toBeNull();
    expect(r.addrToHost(4, '10.0.0.1')).toBe('a.example');
    expect(r.addrToHost(6, '2001:db8::1')).toBe('six.example');
    expect(r.addrToHost(4, '10.9.9.9')).toBeNull();
  });

  it('getservbyname/getservbyport per protocol, aliases, first entry wins', () => {
    const r = new StaticResolver('', 'http 80/tcp www\nhttp 80/udp\nwebcache 8080/tcp http-alt\nhttp-alt 8080/tcp\n');
    expect(r.serviceToPort('www', 'tcp')).toBe(80);
    expect(r.serviceToPort('www', 'udp')).toBe(-1);
    expect(r.serviceToPort('http-alt', 'tcp')).toBe(8080);
    expect(r.portToService(8080, 'tcp')).toBe('webcache');
    expect(r.portToService(8080, 'sctp')).toBeNull();
  });
});

describe('inet', () => {
  it('inet_aton accepts the classic short, octal and hex forms', () => {
    expect(inetAton('10.1')).toBe(0x0a000001);
    expect(inetAton('10.1.2')).toBe(0x0a010002);
    expect(inetAton('167772161')).toBe(0x0a000001);
    expect(inetAton('0x0a.0.0.010')).toBe(0x0a000008);
    expect(inetAton('010.0.0.1')).toBe(0x08000001);
    expect(inetAton('1.2.3.256')).toBeNull();
    expect(inetAton('1.2.3.4.5')).toBeNull();
    expect(inetAton('08.0.0.1')).toBeNull();
    expect(inetAton('a.b.c.d')).toBeNull();
  });

  it('inet_pton/inet_ntop for IPv6 as glibc prints it', () => {
    const r = (s: string): string => inetNtop6(inetPton6(s)!);
    expect(r('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(r('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(r('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(r('::')).toBe('::');
    expect(r('::1')).toBe('::1');
    expect(r('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(r('::10.0.0.1')).toBe('::10.0.0.1');
    expect(r('1:0:0:0:0:0:0:0')).toBe('1::');
    expect(r('1:2:3:4:5:6:7:0')).toBe('1:2:3:4:5:6:7:0');
    expect(inetPton6('1::2::3')).toBeNull();
    expect(inetPton6('12345::')).toBeNull();
    expect(inetPton6('1:2:3:4:5:6:7:8:9')).toBeNull();
  });

  it('string_to_number: whole string, strtol syntax, range', () => {
    expect(stringToNumber(' +80', 0, 65535)).toBe(80);
    expect(stringToNumber('80x', 0, 65535)).toBe(-1);
    expect(stringToNumber('', 0, 65535)).toBe(-1);
    expect(stringToNumber('-1', 0, 65535)).toBe(-1);
    expect(stringToNumber('65536', 0, 65535)).toBe(-1);
  });
});
