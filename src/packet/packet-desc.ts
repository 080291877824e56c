// The one packet descriptor a worker owns. parseFrame() overwrites it for every frame, so the hot
// path never allocates; every field is set in the constructor to keep a single hidden class.
// Addresses are host-order u32, ports plain numbers.

export class PacketDesc {
  /** The slab (or any buffer) holding the frame. */
  buf: Uint8Array;
  /** Offset of the Ethernet header in buf. */
  off: number;
  /** Frame length in bytes (Ethernet header included). */
  len: number;
  /** Which interface the frame came in on: 0 = outside (VIP side), 1 = inside (NAT real servers). */
  port: number;
  /** EtherType after any VLAN tag (0x0800 IPv4, 0x0806 ARP). */
  ethType: number;
  /** Offset (from buf start) of the IP header and of the L4 header. */
  l3Off: number;
  l4Off: number;
  /** IP header length in bytes. */
  ihl: number;
  /** IP total length from the header. */
  ipLen: number;
  proto: number;
  saddr: number;
  daddr: number;
  /** 0 for non-TCP/UDP or for non-first fragments. */
  sport: number;
  dport: number;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10). */
  tcpFlags: number;
  ttl: number;
  tos: number;
  /** DF bit set. */
  df: boolean;
  /** MF set or non-zero offset. */
  isFragment: boolean;
  /** Firewall mark assigned by uvs's own mark rules (0 = none). */
  fwmark: number;
  /** ICMP type/code when proto is ICMP. */
  icmpType: number;
  icmpCode: number;

  constructor(buf: Uint8Array = new Uint8Array(0)) {
    this.buf = buf;
    this.off = 0;
    this.len = 0;
    this.port = 0;
    this.ethType = 0;
    this.l3Off = 0;
    this.l4Off = 0;
    this.ihl = 0;
    this.ipLen = 0;
    this.proto = 0;
    this.saddr = 0;
    this.daddr = 0;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.ttl = 0;
    this.tos = 0;
    this.df = false;
    this.isFragment = false;
    this.fwmark = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
  }
}
