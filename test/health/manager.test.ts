// The health manager's state machine against keepalived's semantics, with a fake table editor,
// fake checkers and fake timers (no wall clock).

import { describe, expect, it } from 'vitest';
import { HealthManager, type RealServerSpec, type VirtualServerInput } from '../../src/health/manager.js';
import { FakeTimers } from '../../src/health/timers.js';
import type { DestConfig } from '../../src/model/config.js';
import type { CheckerTiming } from '../../src/health/checker.js';
import { CaptureLogger, FakeChecker, FakeEditor, dest, fakeScripts, service, timing } from './helpers.js';

interface Rig {
  timers: FakeTimers;
  editor: FakeEditor;
  log: CaptureLogger;
  scripts: ReturnType<typeof fakeScripts>;
  manager: HealthManager;
  checkers: FakeChecker[][];
}

interface RsOpt {
  addr: string;
  weight?: number;
  inhibit?: boolean;
  notifyUp?: string;
  notifyDown?: string;
  checkers?: number;
  type?: string;
  timing?: Partial<CheckerTiming>;
}

function rig(rss: RsOpt[], vsOver: Partial<VirtualServerInput> = {}, hungMarginMs = 500): Rig {
  const timers = new FakeTimers();
  const editor = new FakeEditor();
  const log = new CaptureLogger();
  const scripts = fakeScripts();
  const checkers: FakeChecker[][] = [];
  const realServers: RealServerSpec[] = rss.map((r) => {
    const list: FakeChecker[] = [];
    for (let i = 0; i < (r.checkers ?? 1); i++) list.push(new FakeChecker(() => timers.now(), r.type ?? 'TCP_CHECK'));
    checkers.push(list);
    return {
      dest: dest(r.addr, r.weight ?? 1),
      inhibit: r.inhibit ?? false,
      notifyUp: r.notifyUp ?? '',
      notifyDown: r.notifyDown ?? '',
      checkers: list.map((c) => ({ checker: c, timing: timing(r.timing) })),
    };
  });
  const vs: VirtualServerInput = {
    service: service(),
    quorum: 1,
    hysteresis: 0,
    quorumUp: '',
    quorumDown: '',
    omega: false,
    sorryServer: null,
    sorryServerInhibit: false,
    realServers,
    ...vsOver,
  };
  const manager = new HealthManager([vs], {
    editor,
    logger: log,
    timers,
    random: () => 0,
    runScript: scripts.run,
    hungMarginMs,
    bootstrapDelayMs: 0,
  });
  return { timers, editor, log, scripts, manager, checkers };
}

const A = (addr: string, w: number) => `-a -t 10.0.0.100:80 -r ${addr}:80 -g -w ${w}`;
const E = (addr: string, w: number) => `-e -t 10.0.0.100:80 -r ${addr}:80 -g -w ${w}`;
const D = (addr: string) => `-d -t 10.0.0.100:80 -r ${addr}:80`;

describe('HealthManager: start', () => {
  it('creates the service and adds every real server (they start UP)', async () => {
    const r = rig([{ addr: '10.0.0.11', weight: 3 }, { addr: '10.0.0.12', weight: 1 }]);
    r.manager.start();
    expect(r.editor.take()).toEqual(['-A -t 10.0.0.100:80 -s wlc', A('10.0.0.11', 3), A('10.0.0.12', 1)]);
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([]);
    const st = r.manager.status().virtualServers[0];
    expect(st.realServers.map((x) => [x.dest, x.alive, x.inTable, x.tableWeight])).toEqual([
      ['10.0.0.11:80', true, true, 3],
      ['10.0.0.12:80', true, true, 1],
    ]);
    expect(st.quorumUp).toBe(true);
  });

  it('alpha: real servers start DOWN (not in the table) until the first success', async () => {
    const r = rig([{ addr: '10.0.0.11', weight: 2, timing: { alpha: true } }]);
    r.checkers[0][0].down();
    r.manager.start();
    expect(r.editor.take()).toEqual(['-A -t 10.0.0.100:80 -s wlc']);
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([]);
    r.checkers[0][0].up();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([A('10.0.0.11', 2)]);
    expect(r.manager.status().virtualServers[0].realServers[0].alive).toBe(true);
  });

  it('alpha with inhibit_on_failure: in the table at weight 0, enabled on first success', async () => {
    const r = rig([{ addr: '10.0.0.11', weight: 2, inhibit: true, timing: { alpha: true } }]);
    r.manager.start();
    expect(r.editor.take()).toEqual(['-A -t 10.0.0.100:80 -s wlc', A('10.0.0.11', 0)]);
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([E('10.0.0.11', 2)]);
  });
});

describe('HealthManager: warmup', () => {
  it('the first check waits bootstrap delay + a random share of warmup', async () => {
    const timers = new FakeTimers();
    const c = new FakeChecker(() => timers.now());
    const m = new HealthManager(
      [
        {
          service: service(), quorum: 1, hysteresis: 0, quorumUp: '', quorumDown: '', omega: false, sorryServer: null, sorryServerInhibit: false,
          realServers: [{ dest: dest('10.0.0.11'), inhibit: false, notifyUp: '', notifyDown: '', checkers: [{ checker: c, timing: timing({ warmupMs: 4000 }) }] }],
        },
      ],
      { editor: new FakeEditor(), timers, random: () => 0.5, bootstrapDelayMs: 1000 },
    );
    m.start();
    await timers.advance(20_000);
    expect(c.runs).toEqual([3000, 13_000]);
  });
});

describe('HealthManager: retry and delay_before_retry (fake clock)', () => {
  it('goes DOWN after retry+1 consecutive failures spaced by delay_before_retry, UP on the first success', async () => {
    const r = rig([{ addr: '10.0.0.11', weight: 3, timing: { retry: 2, delayBeforeRetryMs: 3000, delayLoopMs: 10_000 } }]);
    const c = r.checkers[0][0];
    r.manager.start();
    r.editor.take();
    await r.timers.advance(0); // first check at t=0 succeeds
    c.down();
    await r.timers.advance(10_000); // t=10s: failure 1
    await r.timers.advance(3000); // t=13s: failure 2
    expect(r.editor.take()).toEqual([]);
    await r.timers.advance(2999);
    expect(r.editor.take()).toEqual([]);
    await r.timers.advance(1); // t=16s: failure 3 = retry+1 → DOWN
    expect(r.editor.take()).toEqual([D('10.0.0.11')]);
    expect(c.runs).toEqual([0, 10_000, 13_000, 16_000]);
    // Down: back to delay_loop, no retries while down.
    await r.timers.advance(10_000);
    expect(c.runs.at(-1)).toBe(26_000);
    c.up();
    await r.timers.advance(10_000); // t=36s: first success → UP
    expect(r.editor.take()).toEqual([A('10.0.0.11', 3)]);
    const st = r.manager.status().virtualServers[0].realServers[0];
    expect(st.transitions).toBe(2);
    expect(st.failures).toBe(4);
    expect(st.checks).toBe(6);
    expect(r.log.lines.some((l) => l.includes('Removing service 10.0.0.11:80 from VS TCP 10.0.0.100:80: TCP_CHECK failed after 2 retries'))).toBe(true);
  });

  it('log_all_failures logs the failures that only count towards retry', async () => {
    const r = rig([{ addr: '10.0.0.11', timing: { retry: 2, logAllFailures: true } }]);
    r.checkers[0][0].down();
    r.manager.start();
    await r.timers.advance(2000);
    expect(r.log.lines.filter((l) => l.includes('failed (retry'))).toEqual([
      'TCP_CHECK on 10.0.0.11:80 failed (retry 1/2): fake fail',
      'TCP_CHECK on 10.0.0.11:80 failed (retry 2/2): fake fail',
    ]);
  });

  it('a success between failures resets the retry count', async () => {
    const r = rig([{ addr: '10.0.0.11', timing: { retry: 1, delayBeforeRetryMs: 1000, delayLoopMs: 5000 } }]);
    const c = r.checkers[0][0];
    r.manager.start();
    r.editor.take();
    c.down();
    await r.timers.advance(0); // fail 1 (retry)
    c.up();
    await r.timers.advance(1000); // success
    c.down();
    await r.timers.advance(5000); // fail 1 again
    expect(r.editor.take()).toEqual([]);
    await r.timers.advance(1000); // fail 2 → down
    expect(r.editor.take()).toEqual([D('10.0.0.11')]);
  });

  it('inhibit_on_failure sets weight 0 instead of removing, and restores it', async () => {
    const r = rig([{ addr: '10.0.0.11', weight: 4, inhibit: true, timing: { retry: 0 } }]);
    const c = r.checkers[0][0];
    r.manager.start();
    expect(r.editor.take()).toContain(A('10.0.0.11', 4));
    c.down();
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([E('10.0.0.11', 0)]);
    expect(r.manager.status().virtualServers[0].realServers[0]).toMatchObject({ alive: false, inTable: true, tableWeight: 0 });
    c.up();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([E('10.0.0.11', 4)]);
  });

  it('a real server with several checkers is up only when all are', async () => {
    const r = rig([{ addr: '10.0.0.11', checkers: 2, timing: { retry: 0 } }]);
    const [c1, c2] = r.checkers[0];
    r.manager.start();
    r.editor.take();
    c1.down();
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([D('10.0.0.11')]);
    c2.down();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([]);
    expect(r.manager.status().virtualServers[0].realServers[0].failedCheckers).toBe(2);
    // The second checker's change does not move the real server but is logged with its reason.
    expect(r.log.lines.filter((l) => l.startsWith('TCP_CHECK on 10.0.0.11:80 (fake) DOWN: TCP_CHECK failed: fake fail')).length).toBe(2);
    c1.up();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([]);
    c2.up();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([A('10.0.0.11', 1)]);
  });
});

describe('HealthManager: hung checkers', () => {
  it('a check that never settles is aborted after timeout + margin and counted as a hung failure', async () => {
    const r = rig([{ addr: '10.0.0.11', timing: { retry: 0 } }], {}, 500);
    const c = r.checkers[0][0];
    c.next = 'hang';
    r.manager.start();
    r.editor.take();
    await r.timers.advance(1499);
    expect(c.aborted).toBe(0);
    expect(r.editor.take()).toEqual([]);
    await r.timers.advance(1);
    expect(c.aborted).toBe(1);
    expect(r.editor.take()).toEqual([D('10.0.0.11')]);
    const st = r.manager.status().virtualServers[0].realServers[0];
    expect(st.hung).toBe(1);
    expect(st.failures).toBe(1);
    expect(st.lastReason).toContain('hung');
    expect(r.log.lines.some((l) => l.startsWith('WARN TCP_CHECK on 10.0.0.11:80 hung'))).toBe(true);
  });
});

describe('HealthManager: MISC_CHECK misc_dynamic weights', () => {
  it('exit 2..255 sets weight = code - 2, exit 0 restores, exit 1 is down', async () => {
    const r = rig([{ addr: '10.0.0.11', weight: 5, type: 'MISC_CHECK', timing: { retry: 0 } }]);
    const c = r.checkers[0][0];
    r.manager.start();
    r.editor.take();
    c.exit(9);
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([E('10.0.0.11', 7)]);
    // The same exit code again changes nothing.
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([]);
    c.exit(2);
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([E('10.0.0.11', 0)]);
    c.exit(0);
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([E('10.0.0.11', 5)]);
    c.exit(1);
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([D('10.0.0.11')]);
    c.exit(12);
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([A('10.0.0.11', 10)]);
  });
});

describe('HealthManager: MISC_CHECK timing', () => {
  it('the next run is timed from the start of the previous one (keepalived last_ran)', async () => {
    const r = rig([{ addr: '10.0.0.11', type: 'MISC_CHECK', timing: { delayLoopMs: 10_000 } }]);
    const c = r.checkers[0][0];
    c.latencyMs = 800;
    c.latencyTimers = r.timers;
    c.scheduleFromStart = true;
    r.manager.start();
    await r.timers.advance(30_000);
    expect(c.runs).toEqual([0, 10_000, 20_000, 30_000]);
    c.scheduleFromStart = false;
    await r.timers.advance(30_000);
    expect(c.runs.slice(4)).toEqual([40_800, 51_600]);
  });
});

describe('HealthManager: sorry_server', () => {
  it('is added when no real server is up and removed when one comes back', async () => {
    const sorry: DestConfig = dest('10.0.0.200', 1);
    const r = rig([{ addr: '10.0.0.11', timing: { retry: 0 } }, { addr: '10.0.0.12', timing: { retry: 0 } }], { sorryServer: sorry });
    const [[c1], [c2]] = r.checkers;
    r.manager.start();
    r.editor.take();
    c1.down();
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([D('10.0.0.11')]);
    c2.down();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([D('10.0.0.11').replace('11', '12'), A('10.0.0.200', 1)]);
    expect(r.manager.status().virtualServers[0].sorryServer).toEqual({ dest: '10.0.0.200:80', active: true });
    c1.up();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([D('10.0.0.200'), A('10.0.0.11', 1)]);
    expect(r.manager.status().virtualServers[0].sorryServer?.active).toBe(false);
  });

  it('starts with the sorry server when every real server is alpha', async () => {
    const r = rig([{ addr: '10.0.0.11', timing: { alpha: true } }], { sorryServer: dest('10.0.0.200', 1) });
    r.checkers[0][0].down();
    r.manager.start();
    expect(r.editor.take()).toEqual(['-A -t 10.0.0.100:80 -s wlc', A('10.0.0.200', 1)]);
    expect(r.log.lines.some((l) => l.startsWith('Starting with quorum down'))).toBe(true);
  });
});

describe('HealthManager: quorum with hysteresis', () => {
  it('gains at >= quorum + hysteresis, loses below quorum - hysteresis, runs quorum scripts', async () => {
    const r = rig(
      [
        { addr: '10.0.0.11', weight: 2, timing: { retry: 0 } },
        { addr: '10.0.0.12', weight: 2, timing: { retry: 0 } },
        { addr: '10.0.0.13', weight: 2, timing: { retry: 0 } },
      ],
      { quorum: 3, hysteresis: 1, quorumUp: '/bin/q up', quorumDown: '/bin/q down' },
    );
    const cs = r.checkers.map((l) => l[0]);
    r.manager.start();
    expect(r.scripts.calls.map((c) => c.command)).toEqual(['/bin/q up']);
    cs[0].down();
    await r.timers.advance(0); // sum 4 >= 2: still up
    cs[1].down();
    await r.timers.advance(10_000); // sum 2, not < 2: still up
    expect(r.manager.status().virtualServers[0].quorumUp).toBe(true);
    cs[2].down();
    await r.timers.advance(10_000); // sum 0: lost
    expect(r.manager.status().virtualServers[0].quorumUp).toBe(false);
    expect(r.scripts.calls.map((c) => c.command)).toEqual(['/bin/q up', '/bin/q down']);
    cs[0].up();
    await r.timers.advance(10_000); // sum 2 < 4: not regained
    expect(r.manager.status().virtualServers[0].quorumUp).toBe(false);
    cs[1].up();
    await r.timers.advance(10_000); // sum 4 >= 4: regained
    expect(r.manager.status().virtualServers[0].quorumUp).toBe(true);
    expect(r.scripts.calls.map((c) => c.command)).toEqual(['/bin/q up', '/bin/q down', '/bin/q up']);
    expect(r.scripts.calls[1].env).toMatchObject({ UVS_VS: 'TCP 10.0.0.100:80', UVS_STATE: 'DOWN' });
  });
});

describe('HealthManager: notify scripts and omega', () => {
  it('runs notify_down/notify_up with the configured arguments on each change', async () => {
    const r = rig([{ addr: '10.0.0.11', notifyUp: '/etc/ka/up.sh rs1 "a b"', notifyDown: '/etc/ka/down.sh rs1', timing: { retry: 0 } }]);
    const c = r.checkers[0][0];
    r.manager.start();
    c.down();
    await r.timers.advance(0);
    c.up();
    await r.timers.advance(10_000);
    expect(r.scripts.calls.map((x) => x.command)).toEqual(['/etc/ka/down.sh rs1', '/etc/ka/up.sh rs1 "a b"']);
    expect(r.scripts.calls[0].env).toMatchObject({ UVS_RS: '10.0.0.11:80', UVS_STATE: 'DOWN' });
  });

  it('omega: stop runs notify_down for alive real servers and quorum_down; without omega nothing', async () => {
    for (const omega of [true, false]) {
      const r = rig(
        [
          { addr: '10.0.0.11', notifyDown: 'down 11', timing: { retry: 0 } },
          { addr: '10.0.0.12', notifyDown: 'down 12', timing: { retry: 0 } },
        ],
        { omega, quorumDown: 'qdown' },
      );
      r.manager.start();
      r.checkers[1][0].down();
      await r.timers.advance(0);
      r.scripts.calls.length = 0;
      r.editor.take();
      await r.manager.stop();
      expect(r.scripts.calls.map((x) => x.command)).toEqual(omega ? ['down 11', 'qdown'] : []);
      expect(r.editor.take()).toEqual([D('10.0.0.11'), '-D -t 10.0.0.100:80']);
      expect(r.timers.pending()).toBe(0);
    }
  });
});

describe('HealthManager: table errors', () => {
  it('a refused -d keeps the real server alive and retries on the next failure', async () => {
    const r = rig([{ addr: '10.0.0.11', timing: { retry: 0 } }]);
    const c = r.checkers[0][0];
    r.manager.start();
    r.editor.take();
    r.editor.fail.set('-d', { code: 1, stderr: 'Memory allocation problem' });
    c.down();
    await r.timers.advance(0);
    expect(r.manager.status().virtualServers[0].realServers[0].alive).toBe(true);
    r.editor.fail.clear();
    await r.timers.advance(10_000);
    expect(r.editor.take()).toEqual([D('10.0.0.11'), D('10.0.0.11')]);
    expect(r.manager.status().virtualServers[0].realServers[0].alive).toBe(false);
  });
});

describe('HealthManager: reload (keepalived SIGHUP)', () => {
  function input(r: Rig): VirtualServerInput[] {
    // The rig's current input, rebuilt from its states (same checkers, same timing).
    return r.manager.vss.map((vs) => ({
      ...vs.spec,
      realServers: vs.rs.map((rs) => ({
        dest: rs.dest,
        inhibit: rs.inhibit,
        notifyUp: rs.notifyUp,
        notifyDown: rs.notifyDown,
        checkers: rs.checkers.map((cs) => ({ checker: cs.checker, timing: cs.timing })),
      })),
    }));
  }

  it('the same config keeps state: no table change, a down real server stays down', async () => {
    const r = rig([{ addr: '10.0.0.11', timing: { retry: 0 } }, { addr: '10.0.0.12', timing: { retry: 0 } }]);
    r.manager.start();
    r.checkers[1][0].down();
    await r.timers.advance(0);
    r.editor.take();
    r.manager.reload(input(r));
    expect(r.editor.take()).toEqual([]);
    expect(r.manager.status().virtualServers[0].realServers.map((x) => x.alive)).toEqual([true, false]);
    expect(r.manager.status().virtualServers[0].realServers[1].checks).toBe(1);
    // Checkers run again after reload; the old ones are retired.
    r.checkers[1][0].up();
    await r.timers.advance(0);
    expect(r.editor.take()).toEqual([A('10.0.0.12', 1)]);
  });

  it('removed real servers leave the table (notify_down), added ones join, weight changes apply', async () => {
    const r = rig([
      { addr: '10.0.0.11', weight: 2, notifyDown: 'gone 11' },
      { addr: '10.0.0.12', weight: 1 },
    ]);
    r.manager.start();
    await r.timers.advance(0);
    r.editor.take();
    const next = input(r);
    next[0].realServers.splice(0, 1);
    next[0].realServers[0] = { ...next[0].realServers[0], dest: { ...next[0].realServers[0].dest, weight: 5 } };
    next[0].realServers.push({ dest: dest('10.0.0.13', 1), inhibit: false, notifyUp: '', notifyDown: '', checkers: [{ checker: new FakeChecker(() => r.timers.now()), timing: timing() }] });
    r.manager.reload(next);
    expect(r.editor.take()).toEqual([D('10.0.0.11'), E('10.0.0.12', 5), A('10.0.0.13', 1)]);
    expect(r.scripts.calls.map((c) => c.command)).toEqual(['gone 11']);
  });

  it('a removed virtual server is cleared; a scheduler change is an -E', async () => {
    const r = rig([{ addr: '10.0.0.11' }]);
    r.manager.start();
    r.editor.take();
    const edited = input(r).map((v) => ({ ...v, service: { ...v.service, sched: 'rr' } }));
    r.manager.reload(edited);
    expect(r.editor.take()).toEqual(['-E -t 10.0.0.100:80 -s rr']);
    r.manager.reload([]);
    expect(r.editor.take()).toEqual([D('10.0.0.11'), '-D -t 10.0.0.100:80']);
    expect(r.timers.pending()).toBe(0);
  });
});

describe('HealthManager: reload with a sorry server', () => {
  it('dropping the active sorry server from the config puts the alive real servers back', async () => {
    const r = rig([{ addr: '10.0.0.11', weight: 1, timing: { retry: 0 } }, { addr: '10.0.0.12', weight: 1, timing: { retry: 0 } }], { quorum: 2, sorryServer: dest('10.0.0.200', 1) });
    r.manager.start();
    r.checkers[1][0].down();
    await r.timers.advance(0);
    // Quorum 2 lost with one real server down: the sorry server replaces the alive one.
    expect(r.editor.take()).toEqual(['-A -t 10.0.0.100:80 -s wlc', A('10.0.0.11', 1), A('10.0.0.12', 1), D('10.0.0.12'), D('10.0.0.11'), A('10.0.0.200', 1)]);
    const vs = r.manager.vss[0];
    r.manager.reload([
      {
        ...vs.spec,
        sorryServer: null,
        realServers: vs.rs.map((rs) => ({ dest: rs.dest, inhibit: rs.inhibit, notifyUp: '', notifyDown: '', checkers: rs.checkers.map((cs) => ({ checker: cs.checker, timing: cs.timing })) })),
      },
    ]);
    expect(r.editor.take()).toEqual([D('10.0.0.200'), A('10.0.0.11', 1)]);
  });
});

describe('formatHealthStatus', () => {
  it('shows services, real servers, counters and checkers', async () => {
    const { formatHealthStatus } = await import('../../src/health/status-text.js');
    const r = rig([{ addr: '10.0.0.11', weight: 3, timing: { retry: 0 } }, { addr: '10.0.0.12' }], { sorryServer: dest('10.0.0.200', 1) });
    r.manager.start();
    r.checkers[0][0].down();
    await r.timers.advance(0);
    expect(formatHealthStatus(r.manager.status())).toBe(
      [
        'TCP 10.0.0.100:80  quorum 1+/-0 UP  live weight 1  sorry_server 10.0.0.200:80 standby',
        '  -> 10.0.0.11:80          DOWN  not in table checks 1 failures 1 hung 0 transitions 1  last: TCP_CHECK: fake fail',
        '       TCP_CHECK fake down  every 10 s',
        '  -> 10.0.0.12:80          UP    weight 1     checks 1 failures 0 hung 0 transitions 0  last: TCP_CHECK: fake ok',
        '       TCP_CHECK fake up  every 10 s',
        '',
      ].join('\n'),
    );
  });
});

describe('HealthManager: an editor that throws', () => {
  it('counts as a failed command, never an exception', async () => {
    const r = rig([{ addr: '10.0.0.11', timing: { retry: 0 } }]);
    r.manager.start();
    const boom = { execute: () => { throw new Error('model busy'); } };
    (r.manager as unknown as { editor: unknown }).editor = boom;
    r.checkers[0][0].down();
    await r.timers.advance(0);
    expect(r.manager.status().virtualServers[0].realServers[0].alive).toBe(true);
    expect(r.log.lines.some((l) => l.includes('model busy'))).toBe(true);
  });
});
