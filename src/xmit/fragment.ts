// IPv4 fragmentation of an outgoing frame, as ip_fragment()/ip_do_fragment() for the packets IPVS
// lets the stack fragment (ignore_df: DR, NAT and bypass packets without DF, and the outer header
// of a tunnel packet whose inner packet has no DF). uvs emits frames itself, so a frame longer than
// the egress MTU must be split here: AF_PACKET refuses oversized frames.
//
// Algorithm: the IP packet at the frame's start (after the Ethernet header and any 802.1Q tag) is
// cut into pieces of at most `mtu` bytes whose data lengths are multiples of 8. The first piece
// stays in place (the frame is shortened); every further piece is written as a complete frame into
// its own slot of `out` (Ethernet header copied, IP header copied with options that lack the
// "copied" flag overwritten by NOOPs, as ip_options_fragment()), its offset and MF set (the last
// piece keeps the original MF, so fragmenting a fragment is right), total length and header
// checksum rewritten. Nothing allocates; the caller transmits the first frame and then `lens[i]`
// bytes from each slot i.

import { checksum, rd16, wr16 } from '../packet/checksum.js';
import { DROP_FRAG_NEEDED, DROP_NO_ROOM } from '../packet/drop.js';
import type { PacketDesc } from '../packet/packet-desc.js';

const IP_TOT_LEN = 2;
const IP_FRAG_OFF = 6;
const IP_CSUM = 10;
const IP_DF = 0x4000;
const IP_MF = 0x2000;
const IP_OFFSET = 0x1fff;

/** The Ethernet header length of the frame at d.off (14, or 18 with an 802.1Q tag). */
function ethLenOf(b: Uint8Array, off: number): number {
  return b[off + 12] === 0x81 && b[off + 13] === 0x00 ? 18 : 14;
}

/** Length of the IP packet at the start of the frame `d` (works after a tunnel encapsulation too). */
export function frameIpLen(d: PacketDesc): number {
  return rd16(d.buf, d.off + ethLenOf(d.buf, d.off) + IP_TOT_LEN);
}

/** Whether the frame's IP packet exceeds `mtu` and must be fragmented before it is sent. */
export function needsFragment(d: PacketDesc, mtu: number): boolean {
  return frameIpLen(d) > mtu;
}

/**
 * Split the frame `d` for `mtu`. Extra fragments go to out[outOff + i*slotSize], at most maxFrags
 * of them, their frame lengths in lens[i]. Returns the number of extra fragments (0 when the
 * frame already fits), -DROP_FRAG_NEEDED when the packet has DF (the caller sends ICMP instead),
 * or -DROP_NO_ROOM when the slots are too few or too small. The frame is unchanged on errors.
 */
export function fragmentFrame(
  d: PacketDesc, mtu: number,
  out: Uint8Array, outOff: number, slotSize: number, maxFrags: number, lens: Uint32Array,
): number {
  const b = d.buf;
  const eth = ethLenOf(b, d.off);
  const l3 = d.off + eth;
  const totLen = rd16(b, l3 + IP_TOT_LEN);
  if (totLen <= mtu) return 0;
  const frag = rd16(b, l3 + IP_FRAG_OFF);
  if ((frag & IP_DF) !== 0) return -DROP_FRAG_NEEDED;
  const ihl = (b[l3]! & 0x0f) << 2;
  const dataLen = totLen - ihl;
  const chunk = (mtu - ihl) & ~7;
  if (chunk < 8) return -DROP_NO_ROOM;
  const pieces = Math.ceil(dataLen / chunk);
  const extra = pieces - 1;
  if (extra > maxFrags || extra > lens.length || eth + ihl + chunk > slotSize
    || outOff < 0 || outOff + extra * slotSize > out.length) return -DROP_NO_ROOM;

  const baseOff = frag & IP_OFFSET;
  const origMf = frag & IP_MF;
  // Later pieces: Ethernet + IP header copied, non-copied options → NOOP (ip_options_fragment()).
  for (let k = 1; k < pieces; k++) {
    const o = outOff + (k - 1) * slotSize;
    for (let i = 0; i < eth + ihl; i++) out[o + i] = b[d.off + i]!;
    const h = o + eth;
    let p = h + 20;
    const end = h + ihl;
    while (p < end) {
      const t = out[p]!;
      if (t === 0) break;
      if (t === 1) {
        p++;
        continue;
      }
      const olen = p + 1 < end ? out[p + 1]! : 0;
      if (olen < 2 || p + olen > end) break;
      if ((t & 0x80) === 0) for (let i = 0; i < olen; i++) out[p + i] = 1;
      p += olen;
    }
    const start = k * chunk;
    const len = k === pieces - 1 ? dataLen - start : chunk;
    for (let i = 0; i < len; i++) out[end + i] = b[l3 + ihl + start + i]!;
    wr16(out, h + IP_TOT_LEN, ihl + len);
    wr16(out, h + IP_FRAG_OFF, (frag & ~IP_OFFSET & ~IP_MF) | (k === pieces - 1 ? origMf : IP_MF) | (baseOff + (start >> 3)));
    wr16(out, h + IP_CSUM, 0);
    wr16(out, h + IP_CSUM, checksum(out, h, ihl, 0));
    lens[k - 1] = eth + ihl + len;
  }
  // The first piece, in place.
  wr16(b, l3 + IP_TOT_LEN, ihl + chunk);
  wr16(b, l3 + IP_FRAG_OFF, frag | IP_MF);
  wr16(b, l3 + IP_CSUM, 0);
  wr16(b, l3 + IP_CSUM, checksum(b, l3, ihl, 0));
  d.len = eth + ihl + chunk;
  return extra;
}
