// The manager with real timers and real TCP_CHECKs on 127.0.0.1: a real server whose listener
// goes away leaves the table, comes back when it listens again, and the sorry server covers the
// gap. Waits are bounded polls, not timing assertions.

import { describe, expect, it } from 'vitest';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { HealthManager } from '../../src/health/manager.js';
import { tcpCheckKind } from '../../src/health/tcp-check.js';
import { CaptureLogger, FakeEditor, confNodes, ctx, dest, service } from './helpers.js';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (let i = 0; i < ms / 10; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met in time');
}

describe('HealthManager with real TCP_CHECKs', () => {
  it('removes a real server whose port closes, adds it back when it listens again, sorry server in between', async () => {
    let s1: Server | null = await listen();
    const p1 = (s1.address() as AddressInfo).port;
    const problems: string[] = [];
    const block = confNodes('TCP_CHECK {\n connect_timeout 0.5\n retry 1\n delay_before_retry 0.05\n delay_loop 0.1\n}')[0];
    const pc = tcpCheckKind.parse(block, ctx(problems, { rsAddr: '127.0.0.1', rsPort: p1 }))!;
    expect(problems).toEqual([]);
    const editor = new FakeEditor();
    const log = new CaptureLogger();
    const m = new HealthManager(
      [
        {
          service: service(),
          quorum: 1,
          hysteresis: 0,
          quorumUp: '',
          quorumDown: '',
          omega: false,
          sorryServer: dest('127.0.0.9', 1, { port: p1 }),
          sorryServerInhibit: false,
          realServers: [{ dest: dest('127.0.0.1', 2, { port: p1 }), inhibit: false, notifyUp: '', notifyDown: '', checkers: [pc] }],
        },
      ],
      { editor, logger: log, bootstrapDelayMs: 0, random: () => 0 },
    );
    const rs = `127.0.0.1:${p1}`;
    try {
      m.start();
      expect(editor.take()).toEqual(['-A -t 10.0.0.100:80 -s wlc', `-a -t 10.0.0.100:80 -r ${rs} -g -w 2`]);
      await until(() => m.status().virtualServers[0].realServers[0].checks >= 2);
      expect(m.status().virtualServers[0].realServers[0].alive).toBe(true);
      await new Promise((r) => s1!.close(r));
      s1 = null;
      await until(() => !m.status().virtualServers[0].realServers[0].alive);
      expect(editor.take()).toEqual([`-d -t 10.0.0.100:80 -r ${rs}`, `-a -t 10.0.0.100:80 -r 127.0.0.9:${p1} -g -w 1`]);
      const st = m.status().virtualServers[0].realServers[0];
      expect(st.lastReason).toBe('TCP_CHECK: ECONNREFUSED');
      expect(st.failures).toBeGreaterThanOrEqual(2);
      s1 = await listen(p1);
      await until(() => m.status().virtualServers[0].realServers[0].alive);
      expect(editor.take()).toEqual([`-d -t 10.0.0.100:80 -r 127.0.0.9:${p1}`, `-a -t 10.0.0.100:80 -r ${rs} -g -w 2`]);
      expect(log.lines.some((l) => l.startsWith(`Removing service ${rs} from VS TCP 10.0.0.100:80: TCP_CHECK failed after 1 retries: ECONNREFUSED`))).toBe(true);
    } finally {
      await m.stop();
      if (s1) s1.close();
    }
  });
});
