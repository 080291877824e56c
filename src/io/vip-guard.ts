// Keeps the director's own kernel off uvs's traffic. uvs owns the VIPs: it answers ARP for them
// and forwards their packets, so the kernel must neither answer ARP for a VIP, nor reset or
// forward VIP traffic, nor forward NAT replies from real servers before uvs rewrites them.
//
// How (DESIGN.md §3): an nftables table of uvs's own, `table netdev uvs`, with one ingress chain
// per driven interface. AF_PACKET taps run before netdev ingress (__netif_receive_skb_core() hands
// the frame to ptype_all taps first), so uvs still sees every frame the chain drops. The chain
// drops:
//   - IPv4 to a VIP (`ip daddr @vips`), and ARP asking for a VIP (`arp daddr ip @vips`);
//   - IPv4 from a NAT real server that is not addressed to one of the director's own addresses
//     (`ip saddr @rips ip daddr != @locals`): the replies uvs rewrites back to the VIP. Traffic a
//     real server sends to the director itself (health check replies) still reaches the kernel.
// The sets are updated in one nft transaction whenever the table changes; the table is deleted on
// exit (and replaced on start, so a crash leaves nothing that the next start does not fix).
//
// Offloads: on the driven interfaces uvs turns GRO/GSO/TSO/LRO and tx checksum offload off
// (`ethtool -K IF gro off gso off tso off tx off lro off`), so frames uvs reads are wire-sized with
// complete checksums, and frames it writes are never segmented or checksummed behind its back; a
// clean stop turns back on what was on before. On
// veth the sending peer decides whether frames arrive as TSO super-frames with partial checksums,
// so the peer ends (the lab's client/router/real-server links) need `tx off tso off gso off` too;
// uvs counts and drops frames longer than the MTU instead of forwarding them (DESIGN.md §3: we
// chose offloads off over PACKET_VNET_HDR).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { formatIPv4 } from '../model/ipv4.js';

const run = promisify(execFile);

export const NFT_TABLE = 'uvs';

export interface GuardState {
  vips: number[];
  /** NAT real servers (Masq dests). */
  rips: number[];
}

export type Runner = (cmd: string, args: string[], input?: string) => Promise<string>;

const defaultRunner: Runner = async (cmd, args, input) => {
  if (input === undefined) return (await run(cmd, args, { encoding: 'utf8' })).stdout;
  return await new Promise<string>((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });
};

function elements(addrs: number[]): string {
  const uniq = [...new Set(addrs.map((a) => a >>> 0))].sort((a, b) => a - b);
  return uniq.length === 0 ? '' : ` elements = { ${uniq.map(formatIPv4).join(', ')} }`;
}

/** The nft script that (re)creates the whole table atomically. Pure, for tests. */
export function nftScript(ifaces: string[], locals: number[], state: GuardState): string {
  const lines = [
    `table netdev ${NFT_TABLE}`,
    `delete table netdev ${NFT_TABLE}`,
    `table netdev ${NFT_TABLE} {`,
    `  set vips { type ipv4_addr;${elements(state.vips)} }`,
    `  set rips { type ipv4_addr;${elements(state.rips)} }`,
    `  set locals { type ipv4_addr;${elements(locals)} }`,
  ];
  ifaces.forEach((ifname, i) => {
    lines.push(
      `  chain ingress${i} {`,
      `    type filter hook ingress device "${ifname}" priority -500; policy accept;`,
      `    ip daddr @vips counter drop`,
      `    arp daddr ip @vips counter drop`,
      `    ip saddr @rips ip daddr != @locals counter drop`,
      `  }`,
    );
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** The script that replaces only the sets' contents (one transaction). */
export function nftSetsScript(state: GuardState): string {
  return [
    `flush set netdev ${NFT_TABLE} vips`,
    `flush set netdev ${NFT_TABLE} rips`,
    state.vips.length ? `add element netdev ${NFT_TABLE} vips {${elements(state.vips).replace(' elements = {', '').replace(/}$/, '')}}` : '',
    state.rips.length ? `add element netdev ${NFT_TABLE} rips {${elements(state.rips).replace(' elements = {', '').replace(/}$/, '')}}` : '',
  ].filter(Boolean).join('\n') + '\n';
}

/** The offloads uvs turns off, by `ethtool -K` name, and their `ethtool -k` names. */
const OFFLOADS = ['gro', 'gso', 'tso', 'tx', 'lro'];
const FEATURE_NAMES: Record<string, string> = {
  gro: 'generic-receive-offload', gso: 'generic-segmentation-offload', tso: 'tcp-segmentation-offload',
  tx: 'tx-checksumming', lro: 'large-receive-offload',
};

/** `ethtool -k` output → feature name → on. Pure, for tests. */
export function parseFeatures(text: string): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const line of text.split('\n')) {
    const r = /^\s*([a-z0-9-]+):\s+(on|off)\b/.exec(line);
    if (r) m.set(r[1]!, r[2] === 'on');
  }
  return m;
}

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

export class VipGuard {
  private readonly ifaces: string[];
  private readonly runner: Runner;
  private locals: number[];
  private state: GuardState;
  private installed: boolean;
  /** Offloads turned off by disableOffloads() that were on before: [ifname, ethtool -K name]. */
  private readonly restore: Array<[string, string]>;

  constructor(ifaces: string[], runner: Runner = defaultRunner) {
    for (const i of ifaces) if (!IFNAME.test(i)) throw new Error(`vip-guard: bad interface name '${i}'`);
    this.ifaces = ifaces;
    this.runner = runner;
    this.locals = [];
    this.state = { vips: [], rips: [] };
    this.installed = false;
    this.restore = [];
  }

  /** The IPv4 addresses the kernel owns on this host (namespace), from `ip -j addr`. */
  async readLocals(): Promise<number[]> {
    const out = await this.runner('ip', ['-j', '-4', 'addr', 'show']);
    const parsed = JSON.parse(out) as Array<{ addr_info?: Array<{ local?: string }> }>;
    const addrs: number[] = [];
    for (const link of parsed) {
      for (const a of link.addr_info ?? []) {
        const p = a.local?.split('.').map(Number);
        if (p && p.length === 4) addrs.push(((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0);
      }
    }
    return addrs;
  }

  /**
   * Turns the offloads off on every driven interface, remembering which were on so that remove()
   * puts them back. Returns a note per feature that could not be changed.
   */
  async disableOffloads(): Promise<string[]> {
    const notes: string[] = [];
    for (const ifname of this.ifaces) {
      let before: Map<string, boolean>;
      try {
        before = parseFeatures(await this.runner('ethtool', ['-k', ifname]));
      } catch {
        before = new Map();
      }
      for (const feature of OFFLOADS) {
        if (before.get(FEATURE_NAMES[feature]!) === false) continue;
        try {
          await this.runner('ethtool', ['-K', ifname, feature, 'off']);
          if (before.get(FEATURE_NAMES[feature]!) === true) this.restore.push([ifname, feature]);
        } catch (err) {
          // Fixed features (e.g. lro on veth) cannot change; that is fine when already off.
          notes.push(`${ifname}: ${feature}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
      }
    }
    return notes;
  }

  /** Installs the table (replacing any left by an earlier run). */
  async install(state: GuardState): Promise<void> {
    this.locals = await this.readLocals();
    this.state = { vips: [...state.vips], rips: [...state.rips] };
    await this.runner('nft', ['-f', '-'], nftScript(this.ifaces, this.locals, this.state));
    this.installed = true;
  }

  /** Updates the sets when the virtual server table changed; no-op when nothing did. */
  async update(state: GuardState): Promise<boolean> {
    if (!this.installed) return false;
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    const norm = (s: GuardState) => ({ vips: [...new Set(s.vips)].sort((a, b) => a - b), rips: [...new Set(s.rips)].sort((a, b) => a - b) });
    const next = norm(state);
    const cur = norm(this.state);
    if (same(next.vips, cur.vips) && same(next.rips, cur.rips)) return false;
    await this.runner('nft', ['-f', '-'], nftSetsScript(next));
    this.state = next;
    return true;
  }

  /** Puts back the offloads disableOffloads() turned off (in reverse order). */
  async restoreOffloads(): Promise<void> {
    const list = this.restore.splice(0).reverse();
    for (const [ifname, feature] of list) {
      try {
        await this.runner('ethtool', ['-K', ifname, feature, 'on']);
      } catch {
        // The interface went away, or the feature depends on one that stays off.
      }
    }
  }

  /** Removes the table. Safe to call twice. */
  async remove(): Promise<void> {
    if (!this.installed) return;
    this.installed = false;
    try {
      await this.runner('nft', ['delete', 'table', 'netdev', NFT_TABLE]);
    } catch {
      // Already gone (removed by hand, or the interfaces vanished with their chains).
    }
  }
}
