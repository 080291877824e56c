// Scheduling and persistence seen from the client, through the director in a DR lab, with the
// seed articles' commands loaded over the control socket (`uvsadm -C`, `uvsadm -R`):
//   rr over 2 real servers alternates; wrr 3:1 over 400 new connections gives 300:100;
//   PPC (-p on VIP:80) keeps a client on one server within the timeout and lets it move after;
//   PCC (VIP:0 -p) keeps a client on one server across ports 80, 443, 8080;
//   a fwmark service (iptables-save MARK rules for 80 and 443, `--marks`) binds both ports to one server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabState } from '../../netns-lab/lab.js';
import { daemonAvailable, isRoot, labDown, labUp, probe, sleep, uvsadm } from './helpers.js';

const VIP = '10.0.0.100';
const RS1 = '10.0.0.11';
const RS2 = '10.0.0.12';

const MARKS = `*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -d ${VIP}/32 -p tcp -m tcp --dport 80 -j MARK --set-mark 10
-A PREROUTING -d ${VIP}/32 -p tcp -m tcp --dport 443 -j MARK --set-mark 10
COMMIT
`;

/**
 * Replace the table, after the previous test's connections have expired. The client reuses source
 * ports; as in IPVS (conn_reuse_mode=1), a SYN that meets an old conn in FIN_WAIT is not a new
 * connection and follows the old conn to its dest instead of being scheduled. With tcpfin set to
 * 1 s (beforeAll) the old conns are gone within a few seconds; templates (port 0) may remain.
 */
async function load(st: LabState, rules: string): Promise<void> {
  const c = uvsadm(st, ['-C']);
  expect(c.code, c.stderr).toBe(0);
  const conns = (): number => uvsadm(st, ['-L', '-n', '-c']).stdout.split('\n').filter((l) => /^(TCP|UDP)\s/.test(l) && !/\s10\.9\.0\.2:0\s/.test(l)).length;
  for (let i = 0; i < 40 && conns() > 0; i++) await sleep(250);
  expect(conns()).toBe(0);
  const r = uvsadm(st, ['-R'], rules);
  expect(r.code, r.stderr).toBe(0);
}

function servers(st: LabState, url: string, count: number, parallel = 1): string[] {
  const out = probe(st, ['http', url, '--count', String(count), '--parallel', String(parallel)]);
  expect(out.failures, JSON.stringify(out.results.filter((r) => !r.ok).slice(0, 3))).toBe(0);
  return out.results.map((r) => r.server ?? '?');
}

// These tests need the director daemon (`uvs run`, dist/src/cli/commands/run.js): scheduling is
// observed through it. The schedulers themselves are unit-tested in test/sched either way.
describe.skipIf(!isRoot || !daemonAvailable())('scheduling and persistence through the director (DR lab)', () => {
  let st: LabState;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uvs-t-lab-'));
    const marks = join(dir, 'marks.rules');
    writeFileSync(marks, MARKS);
    st = await labUp('dr', { rsCount: 2, marksFile: marks });
    expect(st.director.started).toBe(true);
    // FIN_WAIT 1 s: closed connections leave the table quickly (see load()) and stop holding
    // persistence templates (ip_vs_conn_expire re-arms a template that still controls conns).
    expect(uvsadm(st, ['--set', '900', '1', '300']).code).toBe(0);
  });
  afterAll(async () => {
    await labDown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rr over 2 real servers alternates', async () => {
    await load(st, `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r ${RS1}:80 -g -w 1\n-a -t ${VIP}:80 -r ${RS2}:80 -g -w 1\n`);
    const seq = servers(st, `http://${VIP}/`, 8);
    for (let i = 1; i < seq.length; i++) expect(seq[i]).not.toBe(seq[i - 1]);
    expect(seq.filter((s) => s === 'rs1')).toHaveLength(4);
  });

  it('wrr 3:1 over 400 new connections gives 300:100', async () => {
    await load(st, `-A -t ${VIP}:80 -s wrr\n-a -t ${VIP}:80 -r ${RS1}:80 -g -w 3\n-a -t ${VIP}:80 -r ${RS2}:80 -g -w 1\n`);
    const seq = servers(st, `http://${VIP}/`, 400, 8);
    expect(seq.filter((s) => s === 'rs1')).toHaveLength(300);
    expect(seq.filter((s) => s === 'rs2')).toHaveLength(100);
  });

  it('PPC: -p 4 keeps the client on one server within the timeout, and lets it move after', async () => {
    await load(st, `-A -t ${VIP}:80 -s rr -p 4\n-a -t ${VIP}:80 -r ${RS1}:80 -g -w 1\n-a -t ${VIP}:80 -r ${RS2}:80 -g -w 1\n`);
    const first = servers(st, `http://${VIP}/`, 6);
    expect(new Set(first).size).toBe(1);
    const stuck = first[0]!;
    // The persistence template: client port 0, state NONE or ASSURED (ip_vs_ctpl_state_name_table).
    const list = uvsadm(st, ['-L', '-n', '-c']);
    expect(list.stdout).toMatch(/TCP\s+\S+\s+(NONE|ASSURED)\s+10\.9\.0\.2:0\s+10\.0\.0\.100:80\s+10\.0\.0\.1[12]:80/);
    // Silence longer than the timeout: every new connection would refresh the template, and a
    // conn it still controls when it expires re-arms it for 60 s; the closed conns (FIN_WAIT 1 s)
    // are gone well before the template's 4 s. So wait without traffic, then ask once.
    await sleep(6500);
    const after = servers(st, `http://${VIP}/`, 1)[0];
    expect(after).not.toBe(stuck);
  });

  it('PCC: port 0 keeps the client on one server across ports 80, 443 and 8080', async () => {
    await load(st, `-A -t ${VIP}:0 -s rr -p 60\n-a -t ${VIP}:0 -r ${RS1}:0 -g -w 1\n-a -t ${VIP}:0 -r ${RS2}:0 -g -w 1\n`);
    const seen = new Set<string>();
    for (let round = 0; round < 3; round++) {
      for (const port of [80, 443, 8080]) for (const s of servers(st, `http://${VIP}:${port}/`, 2)) seen.add(s);
    }
    expect(seen.size).toBe(1);
  });

  it('fwmark: MARK rules for 80 and 443 make one service; a client stays on one server across both', async () => {
    await load(st, `-A -f 10 -s rr -p 60\n-a -f 10 -r ${RS1}:0 -g -w 1\n-a -f 10 -r ${RS2}:0 -g -w 1\n`);
    const seen = new Set<string>();
    for (let round = 0; round < 3; round++) {
      for (const port of [80, 443]) for (const s of servers(st, `http://${VIP}:${port}/`, 2)) seen.add(s);
    }
    expect(seen.size).toBe(1);
    const listing = uvsadm(st, ['-L', '-n']).stdout;
    expect(listing).toMatch(/FWM\s+10 rr persistent 60/);
    // 8080 carries no mark: no service, nothing answers.
    const other = probe(st, ['http', `http://${VIP}:8080/`, '--count', '1', '--timeout', '1000']);
    expect(other.failures).toBe(1);
  });
});
