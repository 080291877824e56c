// Forwarded packets per second through a director, for every forwarder on the same veth topology
// in one run (as root; namespaces `uvs-b-io-*` made and removed here):
//
//   gen ns: g0 ──veth── d0 [director ns] d1 ──veth── s0 :sink ns
//
// The generator (bench/forwarder/fwd.c, `gen` mode: sendmmsg, paced by the monotonic clock) offers
// small UDP frames (64 bytes on the wire, 64 source ports) at fixed rates to the director's MAC; the
// sink's kernel counts what arrives (s0 rx_packets) and drops it at once at its nft netdev ingress.
// Why at ingress: on veth the receiver's stack runs in the sender's softirq, i.e. on the
// forwarder's CPU; a sink that routes each frame (and tries an ICMP error) charged about 0.9 µs of
// its own work per frame to every forwarder. `--sink-drop stack` keeps that old behaviour.
// Forwarders, each alone in the director namespace in turn:
//   kernel      ip_forward=1 and a static neighbour: the in-kernel ceiling
//   c-fwd       bench/forwarder/fwd.c: recvmmsg, rewrite MACs, sendmmsg — the userspace ceiling
//   c-xdp       bench/forwarder/xdp-fwd.c: the same job over AF_XDP (copy mode) — the AF_XDP ceiling
//   js-*        bench/io/js-fwd.ts over a backend: the I/O layer alone (same work as c-fwd)
//   uvs-*       `uvs run --iface d0 --inside-iface d1` with a NAT service VIP:9 → 10.9.2.3:9
//               (full engine: parse, conn lookup, NAT rewrite with checksums, counters)
// For the userspace forwarders an nft netdev ingress drop on d0 keeps the director's kernel off
// the frames (uvs installs its own); AF_PACKET taps run before it. Processes are pinned: the
// generator to CPU 1, the forwarder to CPU 0. CPU per packet = (user+sys of the forwarder's
// process) / frames forwarded.
//
//   node dist/bench/pps.js [--rates 100000,200000,300000,0] [--secs 2] [--runs 3] [--only a,b] [--batch N (uvs)] [--sink-drop ingress|stack] [--json FILE]
// Rate 0 means "as fast as the generator can".

import { type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLK_TCK, FWD, PpsTopology, ROOT, cpuTicks, ensureGenerator, median, sh, stopChild, waitFor } from './io/pps-topology.js';
import { teardownOnExit } from './teardown-on-exit.js';

const XDP_FWD = join(ROOT, 'bench', 'out', 'xdp-fwd');

const topo = new PpsTopology(`uvs-b-io-${process.pid % 10000}`);
const NS = topo.ns;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const RATES = arg('--rates', '100000,200000,300000,0').split(',').map(Number);
const SECS = Number(arg('--secs', '2'));
const RUNS = Number(arg('--runs', '3'));
const ONLY = arg('--only', '').split(',').filter(Boolean);
const SINK_DROP = arg('--sink-drop', 'ingress');
if (SINK_DROP !== 'ingress' && SINK_DROP !== 'stack') throw new Error(`--sink-drop: ingress or stack, got '${SINK_DROP}'`);

const inNs = (ns: string, cmd: string, args: string[], input?: string) => topo.inNs(ns, cmd, args, input);
const sinkRx = () => topo.sinkRx();
const blockKernel = (on: boolean) => topo.blockKernel(on);
const spawnPinned = (cpu: string, cmd: string, args: string[]) => topo.spawnPinned(cpu, cmd, args);

interface Forwarder {
  name: string;
  what: string;
  start(ctx: { dMac: string; sMac: string; tmp: string }): Promise<ChildProcess | null>;
  stop?(): void;
}

const uvs = (io: string, mode: string): Forwarder => ({
  name: `uvs-${io}${io === 'afpacket' ? `-${mode}` : ''}`,
  what: `uvs run --io ${io}${io === 'afpacket' ? ` (${mode})` : ''}, NAT service`,
  async start({ sMac, tmp }) {
    const rules = join(tmp, 'rules');
    writeFileSync(rules, '-A -u 10.9.1.100:9 -s rr\n-a -u 10.9.1.100:9 -r 10.9.2.3:9 -m\n');
    const c = spawnPinned('0', process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'uvs.js'), 'run', '--iface', 'd0', '--inside-iface', 'd1',
      '--rules', rules, '--socket', join(tmp, `uvs-${io}-${mode}.sock`), '--io', io, '--afpacket-mode', mode,
      '--neigh', `10.9.2.3=${sMac}`, '--max-conns', '65536', '--log-level', 'warn', '--batch', arg('--batch', '64')]);
    // At --log-level warn uvs says nothing when it is up: wait for its control socket.
    for (let i = 0; i < 500 && !existsSync(join(tmp, `uvs-${io}-${mode}.sock`)); i++) {
      if (c.exitCode !== null) throw new Error(`uvs run exited ${c.exitCode}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return c;
  },
});

const jsFwd = (io: string, mode: string): Forwarder => ({
  name: `js-${io}${io === 'afpacket' ? `-${mode}` : ''}`,
  what: `bench/io/js-fwd.ts over ${io}${io === 'afpacket' ? ` (${mode})` : ''}: I/O layer only`,
  async start({ sMac }) {
    blockKernel(true);
    const c = spawnPinned('0', process.execPath, [join(ROOT, 'dist', 'bench', 'io', 'js-fwd.js'), '--in', 'd0', '--out', 'd1', '--dst-mac', sMac, '--io', io, '--mode', mode]);
    await waitFor(c, 'jsfwd ready', 10000);
    return c;
  },
  stop: () => blockKernel(false),
});

const FORWARDERS: Forwarder[] = [
  {
    name: 'kernel', what: 'Linux IP forwarding (in-kernel ceiling)',
    async start({ sMac }) {
      inNs(NS.d, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      inNs(NS.d, 'ip', ['neigh', 'replace', '10.9.2.3', 'lladdr', sMac, 'dev', 'd1']);
      inNs(NS.d, 'ip', ['route', 'replace', '10.9.1.100/32', 'via', '10.9.2.3']);
      return null;
    },
    stop: () => inNs(NS.d, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']),
  },
  {
    name: 'c-fwd', what: 'bench/forwarder/fwd.c (userspace ceiling)',
    async start({ sMac }) {
      blockKernel(true);
      const c = spawnPinned('0', FWD, ['fwd', 'd0', 'd1', sMac, '64']);
      await waitFor(c, 'fwd ready', 5000);
      return c;
    },
    stop: () => blockKernel(false),
  },
  {
    // Its XDP program on d0 (native mode on veth) takes the generator's frames before the nft
    // ingress drop and before any AF_PACKET tap; the drop stays for frames it passes (none on
    // queue 0). In native mode d0's NAPI runs in the generator's transmit, on CPU 1, and copies
    // each frame there (into a page-pool page: AF_PACKET's skb lacks XDP headroom; then into the
    // rx UMEM): unlike c-fwd's recvmmsg copy, that receive work is not in the forwarder's CPU
    // figure, and the generator offers less. The BPF link goes away with the process (and with
    // d0 at teardown).
    name: 'c-xdp', what: 'bench/forwarder/xdp-fwd.c (AF_XDP copy mode, userspace ceiling)',
    async start({ sMac }) {
      if (!existsSync(XDP_FWD)) sh('bash', [join(ROOT, 'bench', 'forwarder', 'build.sh')]);
      blockKernel(true);
      const c = spawnPinned('0', XDP_FWD, ['d0', 'd1', sMac, '64']);
      c.stdout?.once('data', (d: Buffer) => process.stderr.write(d.toString())); // "ready (xdp mode: drv|skb)"
      await waitFor(c, 'xdp-fwd ready', 5000);
      return c;
    },
    stop: () => blockKernel(false),
  },
  jsFwd('afpacket', 'ring'), jsFwd('afpacket', 'ringrx'), jsFwd('afpacket', 'mmsg'), jsFwd('pcap', 'mmsg'),
  uvs('afpacket', 'ring'), uvs('afpacket', 'ringrx'), uvs('afpacket', 'mmsg'), uvs('pcap', 'ring'),
];

interface Trial { rate: number; sent: number; fwd: number; pps: number; loss: number; cpuUsPerPkt: number | null }

const gen = (_dMac: string, rate: number) => topo.gen(rate, SECS);

const tmp = join(ROOT, 'bench', 'out', `pps-${process.pid}`);
// Runs once, from the finally below or however else the process ends (signal, EPIPE, crash).
const teardown = teardownOnExit('pps', () => {
  topo.teardown();
  rmSync(tmp, { recursive: true, force: true });
});

async function main(): Promise<void> {
  ensureGenerator();
  mkdirSync(tmp, { recursive: true });
  const results: Record<string, Record<string, Trial[]>> = {};
  try {
    topo.setup();
    if (SINK_DROP === 'ingress') topo.sinkDropAtIngress();
    const ctx = { dMac: topo.dMac, sMac: topo.sMac, tmp };
    // Runs are interleaved (run 1 of every forwarder, then run 2, ...) so that background load on
    // a shared machine falls on all forwarders alike.
    for (let run = 0; run < RUNS; run++) {
      for (const f of FORWARDERS) {
        if (ONLY.length && !ONLY.includes(f.name)) continue;
        const child = await f.start(ctx);
        await new Promise((r) => setTimeout(r, 300));
        // Warm-up (JIT, conns created, neighbour resolved).
        gen(ctx.dMac, 50000);
        await new Promise((r) => setTimeout(r, 200));
        const byRate = (results[f.name] ??= {});
        for (const rate of RATES) {
          const rx0 = sinkRx();
          const cpu0 = child?.pid ? cpuTicks(child.pid) : 0;
          const g = gen(ctx.dMac, rate);
          await new Promise((r) => setTimeout(r, 200));
          const fwd = sinkRx() - rx0;
          const cpu1 = child?.pid ? cpuTicks(child.pid) : 0;
          const t: Trial = {
            rate, sent: g.sent, fwd, pps: fwd / g.secs, loss: g.sent ? 1 - fwd / g.sent : 0,
            cpuUsPerPkt: child?.pid && fwd ? ((cpu1 - cpu0) / CLK_TCK) * 1e6 / fwd : null,
          };
          (byRate[String(rate)] ??= []).push(t);
          process.stderr.write(`run ${run + 1} ${f.name.padEnd(20)} offered ${String(rate || 'max').padStart(7)}: sent ${g.sent} fwd ${fwd} (${Math.round(t.pps)} pps)\n`);
        }
        if (child) await stopChild(child);
        f.stop?.();
      }
    }
  } finally {
    teardown();
  }
  // Report: medians over the runs. "offered" is what the generator actually sent per second (on a
  // loaded machine it may fall short of the target rate).
  const lines = ['| forwarder | ' + RATES.map((r) => (r ? `target ${r / 1000}k: offered → forwarded (loss)` : 'max: offered → forwarded')).join(' | ') + ' | CPU µs/pkt | loss-free up to |',
    '|---|' + RATES.map(() => '---|').join('') + '---|---|'];
  for (const f of FORWARDERS) {
    const r = results[f.name];
    if (!r) continue;
    const cells = RATES.map((rate) => {
      const ts = r[String(rate)]!;
      const pps = median(ts.map((t) => t.pps));
      const loss = median(ts.map((t) => t.loss));
      const offered = median(ts.map((t) => t.sent / SECS));
      return `${Math.round(offered / 1000)}k → ${Math.round(pps / 1000)}k${rate ? ` (${(loss * 100).toFixed(1)}%)` : ''}`;
    });
    const all = RATES.flatMap((rate) => r[String(rate)]!).map((t) => t.cpuUsPerPkt ?? NaN).filter(Number.isFinite);
    const cpu = median(all);
    const lossFree = RATES.filter((rate) => rate && median(r[String(rate)]!.map((t) => t.loss)) < 0.001).map((rate) => median(r[String(rate)]!.map((t) => t.sent / SECS)));
    lines.push(`| ${f.name} | ${cells.join(' | ')} | ${Number.isFinite(cpu) ? cpu.toFixed(2) : 'n/a (softirq)'} | ${lossFree.length ? `${Math.round(Math.max(...lossFree) / 1000)}k` : 'none of the rates'} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  const json = arg('--json', join(ROOT, 'bench', 'out', 'pps.json'));
  writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), sinkDrop: SINK_DROP, secs: SECS, runs: RUNS, rates: RATES, forwarders: FORWARDERS.map((f) => ({ name: f.name, what: f.what })), results }, null, 2));
}

main().catch((err: unknown) => {
  process.stderr.write(`pps: ${err instanceof Error ? err.stack : String(err)}\n`);
  teardown();
  process.exit(1);
});
