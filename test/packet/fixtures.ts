// Representative input frames of every kind, shared by the parser tests and the robustness tests.
import { eth, icmpQuote, type FrameBuilder } from '../helpers/frame-builder.js';

const base = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' });
const ipv4 = { src: '192.0.2.10', dst: '10.0.0.100' };

export const parseFixtures: Record<string, FrameBuilder> = {
  tcpSyn: base.ipv4({ ...ipv4, ttl: 61, df: true, tos: 0x10 }).tcp({ sport: 40000, dport: 80, flags: 'S', options: [2, 4, 5, 0xb4] }),
  tcpData: base.ipv4(ipv4).tcp({ sport: 40000, dport: 80, flags: 'PA' }).payload('GET / HTTP/1.0\r\n\r\n'),
  udp: base.ipv4(ipv4).udp({ sport: 5353, dport: 53 }).payload(12),
  udpNoCsum: base.ipv4(ipv4).udp({ sport: 5353, dport: 53, csum: 0 }).payload(3),
  icmpEcho: base.ipv4(ipv4).icmp({ type: 8, id: 7, seq: 1 }).payload(16),
  vlanTcp: eth({ vlan: 42 }).ipv4(ipv4).tcp({ sport: 1, dport: 443, flags: 'A' }),
  ipOptions: base.ipv4({ ...ipv4, options: [0x94, 0x04, 0, 0] }).udp({ sport: 9, dport: 10 }).payload(5),
  firstFragment: base.ipv4({ ...ipv4, mf: true, id: 99 }).udp({ sport: 7, dport: 8, length: 1000 }).payload(32),
  laterFragment: base.ipv4({ ...ipv4, fragOffset: 5, id: 99, proto: 17 }).payload(40),
  arpRequest: eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 1, spa: '10.0.0.1', tpa: '10.0.0.100' }).padTo(60),
  ipip: base.ipv4({ src: '10.0.0.2', dst: '10.0.0.11' }).ipv4(ipv4).tcp({ sport: 2, dport: 80 }),
  gre: base.ipv4({ ...ipv4, proto: 47 }).payload(8),
  ipv6: eth({ type: 0x86dd }).payload(60),
  padded: base.ipv4(ipv4).tcp({ sport: 5, dport: 80, flags: 'R' }).padTo(60),
};

const vipReply = eth().ipv4({ src: '10.0.0.100', dst: '192.0.2.10', df: true }).tcp({ sport: 80, dport: 40000, flags: 'SA' }).payload(20).build();
parseFixtures.icmpFragNeeded = base.ipv4({ src: '198.51.100.1', dst: '10.0.0.100' }).icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(vipReply));
parseFixtures.icmpVlanUdpQuote = eth({ vlan: 3 }).ipv4({ src: '10.0.0.11', dst: '192.0.2.10' }).icmp({ type: 3, code: 3 })
  .payload(icmpQuote(eth().ipv4({ src: '192.0.2.10', dst: '10.0.0.11', options: [1, 1, 1, 1] }).udp({ sport: 1, dport: 53 }).payload(9).build()));
