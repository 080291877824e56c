// The director's own link on each port: the source MAC of every frame it sends there and the IP
// MTU it checks and fragments against. With `uvs run --iface A --inside-iface B` port 0 (outside)
// and port 1 (inside) are different interfaces, so a frame takes the MAC and MTU of the port it
// leaves by, as a router's would. Flat tables covering every port number a decision can carry
// (Uint8), so the hot path indexes them without bounds checks or allocation.

/** Every value of a port number (Decision.txPort, next hops' Uint8 ports). */
export const MAX_PORTS = 256;

const DEFAULT_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 1);
const DEFAULT_MTU = 1500;

export interface PortLinkOptions {
  /** The single-port default: every port not in portMacs. */
  mac?: Uint8Array;
  /** The single-port default: every port not in portMtus. */
  mtu?: number;
  /** 6 bytes per port, port p at p*6. */
  portMacs?: Uint8Array;
  /** IP MTU by port. */
  portMtus?: ArrayLike<number>;
}

export class PortLinks {
  /** 6 bytes per port: port p's MAC at p*6. */
  readonly macs: Uint8Array;
  /** IP MTU by port. */
  readonly mtus: Int32Array;

  constructor(o: PortLinkOptions) {
    const perPortMacs = o.portMacs ? Math.floor(o.portMacs.length / 6) : 0;
    const perPortMtus = o.portMtus ? o.portMtus.length : 0;
    // Without `mac`/`mtu` the default is port 0's, so the old single-port fields stay meaningful.
    const defMac = o.mac ?? (perPortMacs > 0 ? o.portMacs!.subarray(0, 6) : DEFAULT_MAC);
    const defMtu = o.mtu ?? (perPortMtus > 0 ? o.portMtus![0]! : DEFAULT_MTU);
    this.macs = new Uint8Array(MAX_PORTS * 6);
    this.mtus = new Int32Array(MAX_PORTS);
    for (let p = 0; p < MAX_PORTS; p++) {
      this.macs.set(p < perPortMacs ? o.portMacs!.subarray(p * 6, p * 6 + 6) : defMac, p * 6);
      this.mtus[p] = p < perPortMtus ? o.portMtus![p]! : defMtu;
    }
  }
}
