// ARP: the in-place reply for an owned address, requests and gratuitous ARP, compared with frames
// built from scratch.
import { describe, expect, it } from 'vitest';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { parseFrame, PARSE_ARP } from '../../src/packet/parse.js';
import { DROP_ARP_NOT_REQUEST, DROP_NO_ROOM } from '../../src/packet/drop.js';
import { ARPOP_REQUEST, arpOp, arpReplyInPlace, buildArpRequest, buildGratuitousArp } from '../../src/packet/arp.js';
import { eth, frameDiff, ip, mac } from '../helpers/frame-builder.js';

const US = '02:00:00:00:00:d1';
const PEER = '02:00:00:00:00:fe';
const us = mac(US);

describe('ARP', () => {
  it('answers a request in place (padding and VLAN tag kept)', () => {
    for (const vlan of [undefined, 9]) {
      const req = eth({ src: PEER, dst: 'ff:ff:ff:ff:ff:ff', vlan })
        .arp({ op: 1, sha: PEER, spa: '10.0.0.1', tpa: '10.0.0.100' }).padTo(60).build();
      const d = new PacketDesc();
      expect(parseFrame(d, req, 0, req.length, 0)).toBe(PARSE_ARP);
      expect(arpOp(req, d.l3Off)).toBe(ARPOP_REQUEST);
      expect(d.daddr).toBe(ip('10.0.0.100'));
      const slot = new Uint8Array(8);
      slot.set(us, 2);
      expect(arpReplyInPlace(d, slot, 2)).toBe(60);
      const want = eth({ src: US, dst: PEER, vlan })
        .arp({ op: 2, sha: US, spa: '10.0.0.100', tha: PEER, tpa: '10.0.0.1' }).padTo(60).build();
      expect(frameDiff(req, want)).toBeNull();
    }
  });

  it('does not answer a reply', () => {
    const rep = eth().arp({ op: 2, spa: '10.0.0.1', tpa: '10.0.0.100' }).build();
    const d = new PacketDesc();
    expect(parseFrame(d, rep, 0, rep.length, 0)).toBe(PARSE_ARP);
    expect(arpReplyInPlace(d, us, 0)).toBe(-DROP_ARP_NOT_REQUEST);
  });

  it('builds a request and a gratuitous ARP into a buffer', () => {
    const out = new Uint8Array(100);
    expect(buildArpRequest(out, 4, us, 0, ip('10.0.0.2'), ip('10.0.0.11'))).toBe(42);
    expect(frameDiff(out.slice(4, 46), eth({ src: US, dst: 'ff:ff:ff:ff:ff:ff' })
      .arp({ op: 1, sha: US, spa: '10.0.0.2', tpa: '10.0.0.11' }).build())).toBeNull();
    expect(buildGratuitousArp(out, 50, us, 0, ip('10.0.0.100'))).toBe(42);
    expect(frameDiff(out.slice(50, 92), eth({ src: US, dst: 'ff:ff:ff:ff:ff:ff' })
      .arp({ op: 1, sha: US, spa: '10.0.0.100', tpa: '10.0.0.100' }).build())).toBeNull();
    expect(buildGratuitousArp(out, 59, us, 0, 1)).toBe(-DROP_NO_ROOM);
  });
});
