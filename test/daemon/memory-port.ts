// An in-memory port for Datapath.step() tests: the project's MemoryIo (src/io/memory.ts) with the
// two interface facts the worker loop also reads. Tests push frames into mem.rx and drain mem.tx.

import type { PacketIo } from '../../src/io/backend.js';
import { MemoryIo } from '../../src/io/memory.js';

export function memoryPort(name: string, macText: string, mtu = 1500): { mem: MemoryIo; io: PacketIo } {
  const mem = new MemoryIo(name, Uint8Array.from(macText.split(':').map((h) => parseInt(h, 16))), 256, mtu);
  return { mem, io: Object.assign(mem, { ifindex: 1, onReadable: () => undefined }) as unknown as PacketIo };
}
