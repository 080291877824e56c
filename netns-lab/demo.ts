// `uvs lab demo dr|nat|tun`: the README's first command. Builds the lab, starts the director,
// shows the first connection's packets as the director decided them (`uvs trace`) and what one
// packet looks like when it reaches a real server (tcpdump on rs1's link), sends a bounded series
// of HTTP GETs from the client (one new connection each), prints which real server
// answered each and the totals against the weights, shows `uvsadm -L -n` and `uvsadm -L -c`, and
// always tears the lab down (also on failure or Ctrl-C), unless --keep.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { up, down, labPaths, DIST_ROOT, uvsadmScript, uvsScript, type UpOptions, type LabState } from './lab.js';
import { run, nsRun, sleep } from './exec.js';
import type { ProbeResult } from './probe.js';

function say(s = ''): void { process.stdout.write(s + '\n'); }

interface ProbeOut { results: ProbeResult[]; perServer: Record<string, number>; failures: number }

const TRACE_LINES = 14;

function captureFilter(st: LabState): string {
  return st.mode === 'tun' ? 'ip proto 4' : 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0';
}

function whatChanged(st: LabState): string[] {
  const t = st.topology;
  const rs1 = t.rs[0]!;
  if (st.mode === 'dr') {
    return [
      `  IP ${t.clientAddr} > ${t.vip} is exactly what the client sent; only the Ethernet destination`,
      `  became ${rs1.name}'s MAC. ${rs1.name} accepts it because it owns ${t.vip} on lo.`,
    ];
  }
  if (st.mode === 'nat') {
    return [
      `  the destination ${t.vip} was rewritten to ${rs1.name}'s RIP ${rs1.rip}; the source is still the client.`,
      `  ${rs1.name} answers ${t.clientAddr} via its gateway, the director, which puts ${t.vip} back as source.`,
    ];
  }
  return [
    `  outer IP ${t.directorAddr} > ${rs1.rip} proto IPIP (4) was added by the director; inside it,`,
    `  ${t.clientAddr} > ${t.vip} is untouched. ${rs1.name} strips the outer header and answers the client itself.`,
  ];
}

function startCapture(st: LabState): ChildProcess {
  const rs1 = st.topology.rs[0]!;
  return spawn('ip', ['netns', 'exec', rs1.netns, 'timeout', '10', 'tcpdump', '-i', rs1.iface, '-e', '-n', '-l', '-c', '1', captureFilter(st)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function demo(o: UpOptions, opts: { requests: number; keep: boolean }): Promise<number> {
  const paths = labPaths();
  const requests = Math.max(1, Math.min(opts.requests, 1000));
  let interrupted = false;
  const onSignal = (): void => { interrupted = true; };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let capture: ChildProcess | null = null;
  let trace: ChildProcess | null = null;
  try {
    say(`== uvs lab demo: LVS-${o.mode.toUpperCase()} in network namespaces ==`);
    say();
    const t0 = Date.now();
    const { state: st } = await up(o, paths);
    const t = st.topology;
    for (const l of t.explain) say(l);
    say();
    say(`Topology (built in ${((Date.now() - t0) / 1000).toFixed(1)} s; namespaces ${paths.prefix}*):`);
    for (const l of t.diagram) say(l);
    say();
    if (!st.director.started) {
      say(`The director could not be started: ${st.director.reason ?? 'unknown reason'}.`);
      say('The real servers are up; without a director there is nothing to balance.');
      return 1;
    }
    say(`Director: uvs run in ${t.nodes.find((n) => n.role === 'director')!.netns} (pid ${st.director.pid ?? '?'}), rules:`);
    for (const l of run('cat', [st.director.rulesFile]).stdout.trim().split('\n')) say(`  ipvsadm ${l}`);
    say();
    if (interrupted) return 130;

    capture = startCapture(st);
    let capOut = '';
    capture.stdout?.on('data', (d: Buffer) => { capOut += d.toString(); });
    let capReady = false;
    capture.stderr?.on('data', (d: Buffer) => { if (d.toString().includes('listening')) capReady = true; });
    for (let i = 0; i < 40 && !capReady; i++) await sleep(50);

    const url = `http://${t.vip}/`;
    const clientNs = t.nodes.find((n) => n.role === 'client')!.netns;
    const get = (count: number): ProbeOut => {
      const r = nsRun(clientNs, process.execPath,
        [join(DIST_ROOT, 'netns-lab', 'probe.js'), 'http', url, '--count', String(count), '--timeout', '2000'], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`the client probe failed: ${r.stderr.trim()}`);
      return JSON.parse(r.stdout) as ProbeOut;
    };
    // The first connection alone, with `uvs trace` attached: every decision the director takes.
    trace = spawn(process.execPath, [uvsScript(), 'trace', '--socket', st.director.socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    let traceOut = '';
    trace.stdout?.on('data', (d: Buffer) => { traceOut += d.toString(); });
    await sleep(300);
    const first = get(1);
    await sleep(300);
    trace.kill();
    const traced = traceOut.trim().split('\n').filter((l) => l.length > 0);
    if (traced.length > 0) {
      say(`The first connection as the director saw it (uvs trace: in/out = interface, the flow after rewriting,`);
      say(`verdict, service → dest, forwarding method, conn new/hit):`);
      for (const l of traced.slice(0, TRACE_LINES)) say(`  ${l.trim()}`);
      if (traced.length > TRACE_LINES) say(`  ... ${traced.length - TRACE_LINES} more`);
      if (traced.some((l) => l.includes('reason=no_neigh'))) {
        say('  (no_neigh: uvs did not know the next hop\'s MAC yet; it asked by ARP itself and held the frame');
        say('   until the answer came: the director\'s kernel is kept out of the VIP traffic entirely.)');
      }
      say();
    }
    const rest = requests > 1 ? get(requests - 1) : { results: [], perServer: {}, failures: 0 };
    const out: ProbeOut = {
      results: [...first.results, ...rest.results.map((x) => ({ ...x, i: x.i + 1 }))],
      perServer: {},
      failures: first.failures + rest.failures,
    };
    for (const x of out.results) if (x.server) out.perServer[x.server] = (out.perServer[x.server] ?? 0) + 1;

    for (let i = 0; i < 20 && capture.exitCode === null && !capOut; i++) await sleep(50);
    capture.kill();
    const line = capOut.trim().split('\n')[0];
    if (line) {
      say(`What ${t.rs[0]!.name} received for a connection's first packet (tcpdump -e on its link):`);
      say(`  ${line}`);
      for (const l of whatChanged(st)) say(l);
      say();
    }

    say(`${requests} HTTP GETs from the client (${t.clientAddr}), each on a new connection, to ${url}:`);
    for (const x of out.results) {
      const rs = t.rs.find((y) => y.name === x.server);
      say(`  #${String(x.i + 1).padStart(2)}  ${x.ok ? `→ ${(x.server ?? '?').padEnd(4)} (${rs?.rip ?? '?'})  the server saw the client as ${x.client ?? '?'}, reached at ${x.local ?? '?'}` : `FAILED: ${x.error ?? '?'}`}`);
    }
    say();
    const total = t.rs.reduce((s, x) => s + x.weight, 0);
    say(`Totals (scheduler ${st.options.sched}${st.options.persist ? `, persistent ${st.options.persist} s` : ''}):`);
    for (const x of t.rs) {
      const got = out.perServer[x.name] ?? 0;
      const expected = total > 0 ? (requests * x.weight) / total : 0;
      say(`  ${x.name.padEnd(4)} weight ${String(x.weight).padStart(2)}  answered ${String(got).padStart(3)}  (${total > 0 ? `share of weights: ${Number.isInteger(expected) ? expected : expected.toFixed(1)}` : 'no weights'})`);
    }
    if (out.failures) say(`  ${out.failures} request(s) failed`);
    say();
    for (const args of [['-L', '-n'], ['-L', '-n', '-c']]) {
      say(`$ uvsadm ${args.join(' ')}`);
      const u = run(process.execPath, [uvsadmScript(), '--socket', st.director.socket, ...args], { timeoutMs: 10_000 });
      say((u.stdout || u.stderr).trimEnd());
      say();
    }
    const stats = run(process.execPath, [uvsadmScript(), '--socket', st.director.socket, '-L', '-n', '--stats'], { timeoutMs: 10_000 }).stdout;
    const m = new RegExp(`^TCP\\s+${t.vip.replace(/\./g, '\\.')}:80\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`, 'm').exec(stats);
    if (m) {
      say(`Packets the director forwarded for TCP ${t.vip}:80 (uvsadm -L -n --stats): ${m[2]} in (client → server), ${m[3]} out (server → client)`);
      say(st.mode === 'nat'
        ? '  NAT: the replies come back through the director, which rewrites them to the VIP.'
        : `  ${st.mode.toUpperCase()}: 0 out, the replies go from the real servers straight to the router.`);
      say();
    }
    if (opts.keep) say(`Lab kept (--keep): uvs lab status, uvs lab exec client -- curl -s ${url}, uvs lab down`);
    return out.failures === 0 ? 0 : 1;
  } catch (e) {
    say(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    capture?.kill();
    trace?.kill();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!opts.keep) {
      const d = await down(paths);
      say(`Torn down: ${d.namespaces} namespaces removed, ${d.processes} processes stopped.`);
    }
  }
}
