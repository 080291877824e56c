// TCP header (RFC 9293): field offsets and flag bits. The datapath reads ports and flags and
// patches the checksum incrementally; it never rebuilds a TCP header.

export const TCP_HLEN = 20;

export const TCP_SPORT = 0;
export const TCP_DPORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
/** Data offset in the high nibble, in 32-bit words. */
export const TCP_DOFF = 12;
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CSUM = 16;
export const TCP_URG = 18;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK_FLAG = 0x10;
export const TCP_URG_FLAG = 0x20;

export function tcpDoff(buf: Uint8Array, l4: number): number {
  return (buf[l4 + TCP_DOFF]! >>> 4) << 2;
}
