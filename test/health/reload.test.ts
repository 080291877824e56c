// SIGHUP for `uvs run --keepalived`: a keepalived.conf text through the real loader, the health
// build and the real ControlModel, then an edited text through reloadHealthManager(). Checkers
// are the parsed ones with run() replaced by a scripted result per real server, and time is a
// FakeTimers (no wall clock, no network). What a reload must do, as keepalived's
// clear_diff_services()/migrate_checkers(): change only what differs in the table, keep the
// up/down state of real servers whose checkers stay, and refuse a broken file as a whole.

import { describe, expect, it } from 'vitest';
import { loadKeepalivedFile, loadKeepalivedText } from '../../src/control/keepalived/config.js';
import { ControlModel, NO_STATS } from '../../src/control/model.js';
import { createHealthManager, problemKey, reloadHealthManager } from '../../src/health/build.js';
import type { HealthManager } from '../../src/health/manager.js';
import type { CheckResult } from '../../src/health/checker.js';
import { FakeTimers } from '../../src/health/timers.js';
import { CaptureLogger } from './helpers.js';

const OK: CheckResult = { ok: true, reason: 'scripted ok', weight: null, exitCode: null, hung: false };
const FAIL: CheckResult = { ok: false, reason: 'scripted fail', weight: null, exitCode: null, hung: false };

interface RsConf {
  ip: string;
  weight?: number;
  port?: number;
  delayLoop?: number;
  timeout?: number;
  inhibit?: boolean;
}

function rsBlock(r: RsConf): string {
  return `
    real_server ${r.ip} 80 {
        weight ${r.weight ?? 1}
${r.inhibit ? '        inhibit_on_failure\n' : ''}        TCP_CHECK {
            connect_port ${r.port ?? 80}
            connect_timeout ${r.timeout ?? 1}
            retry 0
            delay_loop ${r.delayLoop ?? 2}
            warmup 0
        }
    }`;
}

function vsBlock(vip: string, rss: RsConf[], extra = '    lb_algo rr\n'): string {
  return `virtual_server ${vip} 80 {\n    lb_kind DR\n    protocol TCP\n${extra}${rss.map(rsBlock).join('\n')}\n}\n`;
}

class Rig {
  readonly timers = new FakeTimers();
  readonly model = new ControlModel();
  readonly log = new CaptureLogger();
  /** Scripted results by real server address; absent: up. */
  readonly down = new Set<string>();
  readonly commands: string[] = [];
  readonly manager: HealthManager;
  accepted: Set<string>;

  constructor(text: string) {
    const cfg = loadKeepalivedText(text, 'keepalived.conf');
    const { manager, problems } = createHealthManager(cfg, {
      editor: {
        execute: (argv) => {
          this.commands.push(argv.join(' '));
          return this.model.execute(argv, '', NO_STATS);
        },
      },
      logger: this.log,
      timers: this.timers,
      random: () => 0,
      bootstrapDelayMs: 0,
    });
    this.manager = manager;
    this.accepted = new Set([...cfg.problems, ...problems].map(problemKey));
    this.script();
  }

  /** Every checker of the manager answers from `down` (new checkers after a reload too). */
  script(): void {
    for (const vs of this.manager.vss) {
      for (const rs of vs.rs) {
        for (const cs of rs.checkers) {
          (cs.checker as { run: () => Promise<CheckResult> }).run = () => Promise.resolve(this.down.has(rs.dest.addr) ? FAIL : OK);
        }
      }
    }
  }

  reload(text: string) {
    const out = reloadHealthManager(this.manager, loadKeepalivedText(text, 'keepalived.conf'), this.accepted);
    if (!out.refused.length) this.accepted = out.accepted;
    this.script();
    return out;
  }

  take(): string[] {
    return this.commands.splice(0, this.commands.length);
  }

  /** The table as `ipvsadm -S -n` prints it. */
  table(): string {
    return this.model.execute(['-S', '-n'], '', NO_STATS).stdout;
  }

  alive(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const vs of this.manager.status().virtualServers) for (const rs of vs.realServers) out[rs.dest] = rs.alive;
    return out;
  }
}

const RS1 = { ip: '10.0.0.11' };
const RS2 = { ip: '10.0.0.12' };
const RS3 = { ip: '10.0.0.13' };

describe('keepalived reload: what stays keeps its state', () => {
  it('the same file again changes nothing: no command, a down real server stays down', async () => {
    const conf = vsBlock('10.0.0.100', [RS1, RS2]);
    const r = new Rig(conf);
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    expect(r.alive()).toEqual({ '10.0.0.11:80': true, '10.0.0.12:80': false });
    const before = r.table();
    expect(before).not.toContain('10.0.0.12');
    r.take();

    const out = r.reload(conf);
    expect(out.refused).toEqual([]);
    expect(out.summary).toEqual({
      servicesAdded: 0, servicesRemoved: 0, servicesChanged: 0, servicesUnchanged: 1,
      realServersAdded: 0, realServersRemoved: 0, realServersChanged: 0,
      checkersAdded: 0, checkersRemoved: 0, checkersKept: 2,
    });
    expect(r.take()).toEqual([]);
    expect(r.table()).toBe(before);
    // The checkers run again (bootstrap delay 0): still failing, still out; no flap in between.
    await r.timers.advance(0);
    expect(r.take()).toEqual([]);
    expect(r.alive()).toEqual({ '10.0.0.11:80': true, '10.0.0.12:80': false });
    // And it comes back on its first success, as before the reload.
    r.down.delete('10.0.0.12');
    await r.timers.advance(2000);
    expect(r.take()).toEqual(['-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1']);
  });

  it('a real server added gets a checker and joins; one removed leaves with its checker; the down one stays down', async () => {
    const r = new Rig(vsBlock('10.0.0.100', [RS1, RS2]));
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    r.take();

    const out = r.reload(vsBlock('10.0.0.100', [RS2, RS3]));
    expect(out.summary).toMatchObject({
      servicesChanged: 1, realServersAdded: 1, realServersRemoved: 1, realServersChanged: 0,
      checkersAdded: 1, checkersRemoved: 1, checkersKept: 1,
    });
    expect(r.take()).toEqual(['-d -t 10.0.0.100:80 -r 10.0.0.11:80', '-a -t 10.0.0.100:80 -r 10.0.0.13:80 -g -w 1']);
    expect(r.alive()).toEqual({ '10.0.0.12:80': false, '10.0.0.13:80': true });
    expect(r.manager.status().virtualServers[0].realServers.map((x) => x.checkers.length)).toEqual([1, 1]);
    // The new real server's checker runs and can take it out like any other.
    r.down.add('10.0.0.13');
    await r.timers.advance(0);
    expect(r.take()).toEqual(['-d -t 10.0.0.100:80 -r 10.0.0.13:80']);
  });

  it('changed checker parameters apply at the next run; the checker keeps its state (down stays down)', async () => {
    const r = new Rig(vsBlock('10.0.0.100', [RS1, RS2]));
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    r.take();

    const out = r.reload(vsBlock('10.0.0.100', [RS1, { ...RS2, delayLoop: 7, timeout: 3 }]));
    expect(out.summary).toMatchObject({ servicesChanged: 1, realServersChanged: 1, checkersKept: 2, checkersAdded: 0, checkersRemoved: 0 });
    expect(r.take()).toEqual([]);
    const rs2 = () => r.manager.status().virtualServers[0].realServers[1];
    expect(rs2().alive).toBe(false);
    expect(rs2().checkers[0].delayLoopMs).toBe(7000);
    const checks = rs2().checks;
    await r.timers.advance(0);
    expect(rs2().checks).toBe(checks + 1);
    await r.timers.advance(6999);
    expect(rs2().checks).toBe(checks + 1);
    await r.timers.advance(1);
    expect(rs2().checks).toBe(checks + 2);
    expect(rs2().alive).toBe(false);
    expect(r.take()).toEqual([]);
  });

  it('a checker with a new target starts afresh, as keepalived: the real server is back until it fails', async () => {
    const r = new Rig(vsBlock('10.0.0.100', [RS1, RS2]));
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    r.take();
    const out = r.reload(vsBlock('10.0.0.100', [RS1, { ...RS2, port: 8080 }]));
    expect(out.summary).toMatchObject({ checkersAdded: 1, checkersRemoved: 1, checkersKept: 1 });
    expect(r.take()).toEqual(['-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1']);
    // One failure is enough for the new checker (retry_it = retry, migrate_checkers()).
    await r.timers.advance(0);
    expect(r.take()).toEqual(['-d -t 10.0.0.100:80 -r 10.0.0.12:80']);
  });

  it('a weight change is an -e of the serving dest; an inhibited down dest keeps weight 0', async () => {
    const r = new Rig(vsBlock('10.0.0.100', [RS1, { ...RS2, inhibit: true }]));
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    r.take();
    expect(r.table()).toContain('-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 0');
    r.reload(vsBlock('10.0.0.100', [{ ...RS1, weight: 4 }, { ...RS2, inhibit: true, weight: 9 }]));
    expect(r.take()).toEqual(['-e -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 4']);
    expect(r.table()).toContain('-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 0');
    // Back up: with its new configured weight.
    r.down.delete('10.0.0.12');
    await r.timers.advance(2000);
    expect(r.take()).toEqual(['-e -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 9']);
  });
});

describe('keepalived reload: virtual servers', () => {
  it('added, removed and changed (scheduler) virtual servers; an untouched one sees no command', async () => {
    const a = vsBlock('10.0.0.100', [RS1, RS2]);
    const r = new Rig(a + vsBlock('10.0.0.101', [RS1]) + vsBlock('10.0.0.102', [RS3]));
    r.manager.start();
    await r.timers.advance(0);
    r.take();
    const out = r.reload(a + vsBlock('10.0.0.101', [RS1], '    lb_algo wlc\n') + vsBlock('10.0.0.103', [RS2]));
    expect(out.summary).toMatchObject({ servicesAdded: 1, servicesRemoved: 1, servicesChanged: 1, servicesUnchanged: 1 });
    expect(r.take()).toEqual([
      '-d -t 10.0.0.102:80 -r 10.0.0.13:80',
      '-D -t 10.0.0.102:80',
      '-E -t 10.0.0.101:80 -s wlc',
      '-A -t 10.0.0.103:80 -s rr',
      '-a -t 10.0.0.103:80 -r 10.0.0.12:80 -g -w 1',
    ]);
    const t = r.table();
    expect(t).toContain('-A -t 10.0.0.101:80 -s wlc');
    expect(t).toContain('-a -t 10.0.0.103:80 -r 10.0.0.12:80');
    expect(t).not.toContain('10.0.0.102');
  });

  it('a sorry server and quorum added while a real server is down: the sorry server stands in', async () => {
    const r = new Rig(vsBlock('10.0.0.100', [RS1, RS2]));
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    r.take();
    const out = r.reload(vsBlock('10.0.0.100', [RS1, RS2], '    lb_algo rr\n    quorum 2\n    sorry_server 10.0.0.200 80\n'));
    expect(out.refused).toEqual([]);
    expect(r.take()).toEqual(['-d -t 10.0.0.100:80 -r 10.0.0.11:80', '-a -t 10.0.0.100:80 -r 10.0.0.200:80 -g -w 1']);
    // Dropping the sorry server again puts the alive real server back.
    r.reload(vsBlock('10.0.0.100', [RS1, RS2]));
    expect(r.take()).toEqual(['-d -t 10.0.0.100:80 -r 10.0.0.200:80', '-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1']);
  });

  it('the active sorry server with a new forwarding method is edited in place (DIFF: keepalived keeps the old until re-added)', async () => {
    const r = new Rig(vsBlock('10.0.0.100', [RS1, RS2], '    lb_algo rr\n    quorum 2\n    sorry_server 10.0.0.200 80\n'));
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    expect(r.table()).toContain('-a -t 10.0.0.100:80 -r 10.0.0.200:80 -g -w 1');
    r.take();
    // Same sorry server, now sent by NAT: one -e, nothing else moves.
    const out = r.reload(vsBlock('10.0.0.100', [RS1, RS2], '    lb_algo rr\n    quorum 2\n    sorry_server 10.0.0.200 80\n    sorry_server_lvs_method NAT\n'));
    expect(out.refused).toEqual([]);
    expect(r.take()).toEqual(['-e -t 10.0.0.100:80 -r 10.0.0.200:80 -m -w 1']);
  });

  it('a standing-by sorry server no longer inhibited leaves the table', async () => {
    const r = new Rig(vsBlock('10.0.0.100', [RS1, RS2], '    lb_algo rr\n    sorry_server 10.0.0.200 80\n    sorry_server_inhibit\n'));
    r.manager.start();
    await r.timers.advance(0);
    expect(r.table()).toContain('-a -t 10.0.0.100:80 -r 10.0.0.200:80 -g -w 0');
    r.take();
    r.reload(vsBlock('10.0.0.100', [RS1, RS2], '    lb_algo rr\n    sorry_server 10.0.0.200 80\n'));
    expect(r.take()).toEqual(['-d -t 10.0.0.100:80 -r 10.0.0.200:80']);
    expect(r.table()).not.toContain('10.0.0.200');
  });

  it('a virtual_server_group that gains a member: the new member gets the service and the serving dests', async () => {
    const grp = (members: string[]) =>
      `virtual_server_group web {\n${members.map((m) => `    ${m} 80\n`).join('')}}\nvirtual_server group web {\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n${[RS1, RS2].map(rsBlock).join('\n')}\n}\n`;
    const r = new Rig(grp(['10.0.0.100']));
    r.down.add('10.0.0.12');
    r.manager.start();
    await r.timers.advance(0);
    r.take();
    const out = r.reload(grp(['10.0.0.100', '10.0.0.101']));
    expect(out.summary).toMatchObject({ servicesChanged: 1, checkersKept: 2 });
    expect(r.take()).toEqual(['-A -t 10.0.0.101:80 -s rr', '-a -t 10.0.0.101:80 -r 10.0.0.11:80 -g -w 1']);
    r.reload(grp(['10.0.0.101']));
    expect(r.take()).toEqual(['-D -t 10.0.0.100:80']);
    expect(r.table()).toBe('-A -t 10.0.0.101:80 -s rr\n-a -t 10.0.0.101:80 -r 10.0.0.11:80 -g -w 1\n');
  });
});

describe('keepalived reload: a broken file is refused as a whole', () => {
  const good = vsBlock('10.0.0.100', [RS1, RS2]);
  const broken: Array<[string, string, RegExp]> = [
    ['a missing brace', good.replace(/\}\n$/, ''), /missing '\}'/],
    ['a typo in a keyword', good.replace('weight 1', 'wieght 1'), /Unknown keyword 'wieght'/],
    ['a bad real server address', good.replace('real_server 10.0.0.12', 'real_server 10.0.0.312'), /Invalid real server ip address/],
    ['a bad checker value', good.replace('connect_timeout 1', 'connect_timeout -3'), /connect_timeout/],
    ['no virtual_server at all', 'global_defs {\n    router_id x\n}\n', /no virtual_server/],
  ];
  for (const [what, text, reason] of broken) {
    it(`${what}: refused with the reason, table and checkers unchanged`, async () => {
      const r = new Rig(good);
      r.down.add('10.0.0.12');
      r.manager.start();
      await r.timers.advance(0);
      r.take();
      const vss = r.manager.vss;
      const before = r.table();
      const out = r.reload(text);
      expect(out.summary).toBeNull();
      expect(out.refused.join('\n')).toMatch(reason);
      expect(r.take()).toEqual([]);
      expect(r.table()).toBe(before);
      expect(r.manager.vss).toBe(vss);
      // The checkers go on as before.
      r.down.delete('10.0.0.12');
      await r.timers.advance(2000);
      expect(r.take()).toEqual(['-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1']);
    });
  }

  it('a file that cannot be read is refused', async () => {
    const r = new Rig(good);
    r.manager.start();
    await r.timers.advance(0);
    r.take();
    const out = reloadHealthManager(r.manager, loadKeepalivedFile('/nonexistent/uvs-keepalived.conf'), r.accepted);
    expect(out.summary).toBeNull();
    expect(out.refused.join('\n')).toMatch(/cannot read/);
    expect(r.take()).toEqual([]);
  });

  it('problems the running file already had are not new: the file stays reloadable', async () => {
    // No lb_algo: keepalived reports it and defaults to wlc; uvs started with it.
    const noSched = (rss: RsConf[]) => vsBlock('10.0.0.100', rss, '');
    const r = new Rig(noSched([RS1]));
    expect([...r.accepted]).toEqual(["Virtual server 10.0.0.100:80: no scheduler set, setting default 'wlc'"]);
    r.manager.start();
    await r.timers.advance(0);
    r.take();
    const out = r.reload('\n\n' + noSched([RS1, RS2]));
    expect(out.refused).toEqual([]);
    expect(out.problems).toEqual(["keepalived.conf:3: Virtual server 10.0.0.100:80: no scheduler set, setting default 'wlc'"]);
    expect(r.take()).toEqual(['-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1']);
    // A new problem on top is refused, naming only the new one.
    const bad = r.reload(noSched([RS1, RS2]).replace('weight 1', 'wieght 1'));
    expect(bad.refused).toEqual(["keepalived.conf:6: Unknown keyword 'wieght'"]);
  });
});
