// Types for the parts of npm `raw-socket` (CommonJS, no bundled types) that PING_CHECK uses.
declare module 'raw-socket' {
  import type { EventEmitter } from 'node:events';
  export interface RawSocket extends EventEmitter {
    send(
      buffer: Buffer,
      offset: number,
      length: number,
      address: string,
      beforeCallback: (() => void) | null,
      afterCallback: (error: Error | null, bytes: number) => void,
    ): void;
    close(): void;
    pauseRecv(): void;
    resumeRecv(): void;
    recvPaused: boolean;
  }
  export const AddressFamily: { IPv4: number; IPv6: number };
  export const Protocol: { None: number; ICMP: number; TCP: number; UDP: number; ICMPv6: number };
  export function createSocket(options: { addressFamily?: number; protocol?: number; bufferSize?: number }): RawSocket;
  const raw: {
    AddressFamily: typeof AddressFamily;
    Protocol: typeof Protocol;
    createSocket: typeof createSocket;
  };
  export default raw;
}
