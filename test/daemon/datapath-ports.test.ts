// The datapath worker hands the engine each port's own MAC and MTU (`uvs run --iface o0
// --inside-iface i0`, NAT real servers behind i0): outside MTU 1500, inside MTU 1400, different
// MACs. Frames in → exact frames out on each port, through Datapath.step() with in-memory ports.

import { describe, expect, it } from 'vitest';
import type { MemoryIo } from '../../src/io/memory.js';
import { memoryPort } from './memory-port.js';
import { Datapath } from '../../src/daemon/datapath-worker.js';
import type { WorkerInit } from '../../src/daemon/worker-protocol.js';
import { parseRulesFile } from '../../src/control/rules-file.js';
import { eth, icmpQuote, mac } from '../helpers/frame-builder.js';
import { expectFrame } from '../engine/harness.js';

const OUT_MAC = '02:00:00:00:00:01';
const IN_MAC = '02:00:00:00:00:02';
const CLIENT_MAC = '02:00:00:00:00:0c';
const RS_MAC = '02:00:00:00:00:11';
const CLIENT = '10.0.9.2';
const VIP = '10.0.9.100';
const RIP = '10.1.0.11';

/** IP total length 1450: 20 IP + 20 TCP + 1410 payload. */
const BIG = 1410;
const c2d = (id: number, df = false) => eth({ src: CLIENT_MAC, dst: OUT_MAC }).ipv4({ src: CLIENT, dst: VIP, ttl: 64, id, df });
const d2rs = (id: number) => eth({ src: IN_MAC, dst: RS_MAC }).ipv4({ src: CLIENT, dst: RIP, ttl: 63, id });
const rs2d = (id: number) => eth({ src: RS_MAC, dst: IN_MAC }).ipv4({ src: RIP, dst: CLIENT, ttl: 64, id });
const d2c = (id: number) => eth({ src: OUT_MAC, dst: CLIENT_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 63, id });

describe('datapath worker: each port\'s MAC and MTU', () => {
  const { table, errors } = parseRulesFile(`-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r ${RIP}:8080 -m\n`, 'rules');
  const { mem: io0, io: port0 } = memoryPort('o0', OUT_MAC, 1500);
  const { mem: io1, io: port1 } = memoryPort('i0', IN_MAC, 1400);
  const take = (io: MemoryIo): Uint8Array[] => io.tx.drain();
  const init: WorkerInit = {
    ifaces: ['o0', 'i0'], io: 'afpacket', mode: 'ring', maxConns: 1024, addr: 0x0a000901, portAddrs: [0x0a000901, 0x0a010001],
    table, flags: new SharedArrayBuffer(16), batch: 64, neigh: [{ ip: 0x0a01000b, mac: RS_MAC }],
  };
  const dp = new Datapath(init, [port0, port1]);

  function run(io: MemoryIo, frame: Uint8Array): void {
    io.rx.push(frame);
    for (let i = 0; i < 4 && io.rx.count > 0; i++) dp.step(0);
    expect(io.rx.count).toBe(0);
  }

  it('applies the NAT table', () => {
    expect(errors).toEqual([]);
    expect(dp.applyTable(table)).toEqual([]);
    dp.step(0);
    // Gratuitous ARP for the VIP on the outside port, with the outside MAC.
    for (const f of take(io0)) expect(f.subarray(6, 12)).toEqual(mac(OUT_MAC));
  });

  it('SYN leaves the inside port with the inside MAC', () => {
    run(io0, c2d(1).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 10 }).build());
    const out = take(io1);
    expect(out.length).toBe(1);
    expectFrame(out[0]!, d2rs(1).tcp({ sport: 40000, dport: 8080, flags: 'S', seq: 10 }));
    expect(take(io0)).toEqual([]);
  });

  it('DF, 1450 bytes → Fragmentation Needed (1400) out the outside port with the outside MAC', () => {
    const big = c2d(2, true).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 11 }).payload(BIG);
    run(io0, big.build());
    expect(take(io1)).toEqual([]);
    const out = take(io0);
    expect(out.length).toBe(1);
    expectFrame(out[0]!, eth({ src: OUT_MAC, dst: CLIENT_MAC }).ipv4({ src: VIP, dst: CLIENT, ttl: 64, tos: 0xc0, id: 0 })
      .icmp({ type: 3, code: 4, mtu: 1400 }).payload(icmpQuote(big.build())));
  });

  it('no DF, 1450 bytes → two fragments for 1400, both with the inside MAC', () => {
    run(io0, c2d(3).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 11 }).payload(BIG).build());
    const out = take(io1);
    expect(out.length).toBe(2);
    const data = d2rs(3).tcp({ sport: 40000, dport: 8080, flags: 'A', seq: 11 }).payload(BIG).build().subarray(34);
    const hdr = { src: CLIENT, dst: RIP, ttl: 63, id: 3, proto: 6 };
    expectFrame(out[0]!, eth({ src: IN_MAC, dst: RS_MAC }).ipv4({ ...hdr, mf: true }).payload(data.subarray(0, 1376)));
    expectFrame(out[1]!, eth({ src: IN_MAC, dst: RS_MAC }).ipv4({ ...hdr, fragOffset: 1376 / 8 }).payload(data.subarray(1376)));
  });

  it('a full-size reply (1400, the inside MTU) leaves the outside port whole, with the outside MAC', () => {
    run(io1, rs2d(4).tcp({ sport: 8080, dport: 40000, flags: 'A', seq: 99 }).payload(1360).build());
    const out = take(io0);
    expect(out.length).toBe(1);
    expectFrame(out[0]!, d2c(4).tcp({ sport: 80, dport: 40000, flags: 'A', seq: 99 }).payload(1360));
    expect(take(io1)).toEqual([]);
  });
});
