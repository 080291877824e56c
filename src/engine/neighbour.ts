// How the transmitters find a next hop's MAC address. `uvs run` backs this with its own ARP-driven
// neighbour cache; `uvs replay` and tests with a static table (--neigh) and a documented
// placeholder. MACs live in one byte table so the hot path copies 6 bytes without allocating.

export interface NeighbourResolver {
  /** 6 bytes per slot. */
  readonly macs: Uint8Array;
  /**
   * Slot of the MAC for this IPv4 address, or -1 when it is not resolved yet. The engine passes
   * the address as int32 (the u32's bits, so it never boxes): normalise with `>>> 0` or `| 0`.
   */
  lookup(ip: number): number;
}
