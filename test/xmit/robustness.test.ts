// Robustness of the whole packet layer + transmitters: every fixture truncated at every length is
// parsed to a pass or a drop code, and whatever parses is put through every transmitter (and the
// ICMP paths) without a throw, without a result outside {frame length, -drop code, 0 for "no
// ICMP"}, and without a byte written outside the frame (plus the tunnel's 20 bytes of headroom).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PacketDesc } from '../../src/packet/packet-desc.js';
import { DROP_COUNT, DROP_FIRST, parseFrame, PARSE_ARP, PARSE_OK_IPV4 } from '../../src/packet/parse.js';
import { arpReplyInPlace } from '../../src/packet/arp.js';
import { ICMP_EMBEDDED_OK, IcmpEmbedded, parseIcmpError } from '../../src/packet/icmp.js';
import { xmitRoute } from '../../src/xmit/dr.js';
import { xmitTunnel, xmitTunnelGre, xmitTunnelGue } from '../../src/xmit/tun.js';
import { fragmentFrame } from '../../src/xmit/fragment.js';
import { xmitNatIn, xmitNatOut } from '../../src/xmit/nat.js';
import { buildIcmpError, icmpNatIn, icmpNatOut } from '../../src/xmit/icmp-error.js';
import { ipSendCheck } from '../../src/packet/ipv4.js';
import { parseFixtures } from '../packet/fixtures.js';

const HEAD = 40;
const PATHS = 9;
const mac = Uint8Array.of(2, 0, 0, 0, 0, 1);
const out = new Uint8Array(256);
const fragOut = new Uint8Array(8 * 128);
const fragLens = new Uint32Array(8);

function isXmitResult(r: number, maxLen: number): boolean {
  return Number.isInteger(r) && ((r > 0 && r <= maxLen) || (-r >= DROP_FIRST && -r < DROP_COUNT));
}

/** Run every path over frame bytes f; returns a failure description or null. */
function exercise(f: Uint8Array, n: number, which: number): string | null {
  const buf = new Uint8Array(HEAD + f.length + 8);
  buf.set(f, HEAD);
  const guard = buf.slice();
  const d = new PacketDesc();
  const e = new IcmpEmbedded();
  const r = parseFrame(d, buf, HEAD, n, 0);
  if (!(Number.isInteger(r) && r >= 0 && r < DROP_COUNT)) return `parse → ${r}`;
  let x = 0;
  let lo = HEAD;
  if (r === PARSE_ARP) x = arpReplyInPlace(d, mac, 0);
  else if (r === PARSE_OK_IPV4) {
    switch (which % PATHS) {
      case 0: x = xmitRoute(d, mac, 0, mac, 0, 1500); break;
      case 1: x = xmitTunnel(d, 1, 2, mac, 0, mac, 0, 1500); lo = HEAD - 20; break;
      case 2: x = xmitNatIn(d, 3, 4, mac, 0, mac, 0, 1500); break;
      case 3: x = xmitNatOut(d, 3, 4, mac, 0, mac, 0, 1500); break;
      case 7: x = xmitTunnelGre(d, 1, 2, true, mac, 0, mac, 0, 1500); lo = HEAD - 28; break;
      case 8: x = xmitTunnelGue(d, 1, 2, 6080, true, mac, 0, mac, 0, 1500); lo = HEAD - 32; break;
      case 4: {
        const b = buildIcmpError(out, 0, d, 3, 3, 0, 5, mac, 0, mac, 0);
        if (!(b === 0 || isXmitResult(b, out.length))) return `buildIcmpError → ${b}`;
        break;
      }
      default: {
        if (d.proto === 1 && parseIcmpError(e, d) === ICMP_EMBEDDED_OK) {
          x = which % PATHS === 5 ? icmpNatIn(d, e, 3, 4, mac, 0, mac, 0) : icmpNatOut(d, e, 3, 4, mac, 0, mac, 0);
        }
      }
    }
  }
  if (x !== 0 && !isXmitResult(x, n + 32)) return `xmit ${which % PATHS} → ${x}`;
  if (x > 0) {
    // Whatever was sent may also be fragmented (small MTU: several pieces).
    const f = fragmentFrame(d, 68 + (which % 3) * 8, fragOut, 0, 128, 8, fragLens);
    if (!(Number.isInteger(f) && (f >= 0 || (-f >= DROP_FIRST && -f < DROP_COUNT)))) return `fragment → ${f}`;
  }
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== guard[i] && (i < lo || i >= HEAD + n)) return `path ${which % PATHS} wrote byte ${i} outside the frame`;
  }
  return null;
}

describe('robustness', () => {
  it('every fixture cut at every length, through every transmitter', () => {
    let runs = 0;
    for (const [name, b] of Object.entries(parseFixtures)) {
      const f = b.build();
      for (let n = 0; n <= f.length; n++) {
        for (let which = 0; which < PATHS; which++) {
          const fail = exercise(f, n, which);
          expect(fail, `${name} cut at ${n}`).toBeNull();
          runs++;
        }
      }
    }
    expect(runs).toBeGreaterThan(1000);
  });

  it('random mutations of the fixtures (time-boxed property)', () => {
    const frames = Object.values(parseFixtures).map((b) => b.build());
    fc.assert(
      fc.property(
        fc.nat(frames.length - 1), fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 6 }), fc.nat(PATHS - 1), fc.nat(200),
        fc.boolean(),
        (k, edits, which, cut, fixIpCsum) => {
          const f = frames[k]!.slice();
          for (const [at, v] of edits) if (at < f.length) f[at] = v;
          // Half the time repair the IPv4 header checksum so mutations reach past the IP check.
          const ihl = ((f[14] ?? 0) & 15) * 4;
          if (fixIpCsum && f[12] === 8 && f[13] === 0 && ihl >= 20 && 14 + ihl <= f.length) ipSendCheck(f, 14, ihl);
          return exercise(f, Math.min(cut, f.length), which) === null;
        },
      ),
      { numRuns: 20000, interruptAfterTimeLimit: 2500 },
    );
  });
});
