// IPv4 addresses as host-order u32 numbers (10.0.0.1 → 0x0A000001), the form the whole datapath uses.
// Conversion to and from text happens only here, at the edges (config, CLI, logs).

export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function formatIPv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/** Netmask from a prefix length: 24 → 0xFFFFFF00. */
export function prefixToMask(prefix: number): number {
  return prefix <= 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Prefix length of a contiguous mask, or -1 when the mask has holes. */
export function maskToPrefix(mask: number): number {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return -1;
  return 32 - Math.clz32(inverted) === 32 ? 0 : Math.clz32(inverted);
}
