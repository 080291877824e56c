// The kernel hands-off table: the nft script's shape, and, as root in namespaces, that the table
// installs, really keeps the director's kernel from answering a VIP it would otherwise answer, is
// updated in place, and is removed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { VipGuard, nftScript, nftSetsScript, parseFeatures, type Runner } from '../../src/io/vip-guard.js';
import { Lab, isRoot } from './netns.js';

const VIP = 0x0a000064; // 10.0.0.100

describe('vip-guard nft script', () => {
  it('has one ingress chain per interface dropping VIP traffic, ARP for VIPs and NAT replies', () => {
    const s = nftScript(['eth0', 'eth1'], [0x0a090101], { vips: [VIP, VIP], rips: [0x0a000b0b] });
    expect(s).toContain('table netdev uvs');
    expect(s).toContain('set vips { type ipv4_addr; elements = { 10.0.0.100 } }');
    expect(s).toContain('set locals { type ipv4_addr; elements = { 10.9.1.1 } }');
    expect(s).toContain('type filter hook ingress device "eth0" priority -500; policy accept;');
    expect(s).toContain('type filter hook ingress device "eth1" priority -500; policy accept;');
    expect(s).toContain('ip daddr @vips counter drop');
    expect(s).toContain('arp daddr ip @vips counter drop');
    expect(s).toContain('ip saddr @rips ip daddr != @locals counter drop');
    expect(nftSetsScript({ vips: [VIP], rips: [] })).toBe('flush set netdev uvs vips\nflush set netdev uvs rips\nadd element netdev uvs vips { 10.0.0.100 }\n');
  });

  it('reads ethtool -k output', () => {
    const f = parseFeatures('Features for eth0:\nrx-checksumming: on\ntx-checksumming: off\n\ttx-checksum-ipv4: off [fixed]\ngeneric-receive-offload: on\n');
    expect(f.get('tx-checksumming')).toBe(false);
    expect(f.get('generic-receive-offload')).toBe(true);
    expect(f.get('tx-checksum-ipv4')).toBe(false);
  });

  it('refuses interface names that could inject nft syntax', () => {
    expect(() => new VipGuard(['eth0"; flush ruleset'])).toThrow(/bad interface name/);
  });
});

describe.runIf(isRoot())('vip-guard in a namespace (root)', () => {
  const lab = new Lab('vg');
  let dir = '';
  let peer = '';
  let guard: VipGuard;
  const inNs = (ns: string): Runner => async (cmd, args, input) =>
    execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  const ping = () => {
    try { lab.exec(peer, 'ping', ['-c', '1', '-W', '1', '10.0.0.100']); return true; } catch { return false; }
  };

  beforeAll(() => {
    dir = lab.ns('dir');
    peer = lab.ns('peer');
    lab.link(dir, 'gd0', peer, 'gp0', '10.9.1.1/24', '10.9.1.2/24');
    // The VIP on the director's kernel, as a careless setup would have it: it answers ping.
    lab.exec(dir, 'ip', ['addr', 'add', '10.0.0.100/32', 'dev', 'lo']);
    lab.exec(peer, 'ip', ['route', 'add', '10.0.0.100/32', 'via', '10.9.1.1']);
    guard = new VipGuard(['gd0'], inNs(dir));
  });
  afterAll(async () => {
    await guard?.remove();
    lab.cleanup();
  });

  it('keeps the kernel off the VIP while installed, and is removed cleanly', async () => {
    expect(ping()).toBe(true);
    await guard.install({ vips: [VIP], rips: [0x0a000b0b] });
    const listed = lab.exec(dir, 'nft', ['list', 'table', 'netdev', 'uvs']);
    expect(listed).toContain('10.0.0.100');
    expect(listed).toContain('10.9.1.1'); // the director's own address is in @locals
    expect(ping()).toBe(false);
    expect(await guard.update({ vips: [VIP], rips: [0x0a000b0b] })).toBe(false);
    expect(await guard.update({ vips: [], rips: [] })).toBe(true);
    expect(ping()).toBe(true);
    await guard.update({ vips: [VIP], rips: [] });
    expect(ping()).toBe(false);
    await guard.remove();
    expect(() => lab.exec(dir, 'nft', ['list', 'table', 'netdev', 'uvs'])).toThrow();
    expect(ping()).toBe(true);
  });

  it('turns the offloads off on the driven interfaces, and back on when asked', async () => {
    lab.exec(dir, 'ethtool', ['-K', 'gd0', 'gro', 'on', 'tso', 'on', 'tx', 'on']);
    await guard.disableOffloads();
    const k = lab.exec(dir, 'ethtool', ['-k', 'gd0']);
    expect(k).toMatch(/generic-receive-offload: off/);
    expect(k).toMatch(/tcp-segmentation-offload: off/);
    expect(k).toMatch(/tx-checksumming: off/);
    await guard.restoreOffloads();
    const back = lab.exec(dir, 'ethtool', ['-k', 'gd0']);
    expect(back).toMatch(/generic-receive-offload: on/);
    expect(back).toMatch(/tcp-segmentation-offload: on/);
    expect(back).toMatch(/tx-checksumming: on/);
  });
});
