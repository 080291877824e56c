// UDP header (RFC 768): field offsets. A checksum of 0 means "none" on IPv4 and must stay 0 after a
// rewrite; a computed 0 is sent as 0xffff (CSUM_MANGLED_0).

export const UDP_HLEN = 8;

export const UDP_SPORT = 0;
export const UDP_DPORT = 2;
export const UDP_LEN = 4;
export const UDP_CSUM = 6;

/** How a computed checksum of 0 is stored (the kernel's CSUM_MANGLED_0). */
export const CSUM_MANGLED_0 = 0xffff;
