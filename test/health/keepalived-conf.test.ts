// A real keepalived.conf text through the real keepalived loader (src/control/keepalived) and the
// real ControlModel: the health manager built from it keeps the table in step with local
// listeners (TCP_CHECK, HTTP_GET), puts the sorry server in when both are gone, and reports the
// checker blocks' bad values as file:line problems.

import { describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { loadKeepalivedText } from '../../src/control/keepalived/config.js';
import { ControlModel, NO_STATS } from '../../src/control/model.js';
import { createHealthManager } from '../../src/health/build.js';
import { CaptureLogger } from './helpers.js';

function listenTcp(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function listenHttp(): Promise<HttpServer> {
  return new Promise((resolve) => {
    const s = createHttpServer((req, res) => {
      res.statusCode = req.url === '/health' ? 200 : 404;
      res.end('ok');
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

async function until(cond: () => boolean, ms = 6000): Promise<void> {
  for (let i = 0; i < ms / 20; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}

const close = (s: { close(cb: () => void): void }) => new Promise<void>((r) => s.close(() => r()));

describe('keepalived.conf → health manager → ControlModel', () => {
  it('moves real servers in and out of the table as their listeners come and go', async () => {
    let tcp: Server | null = await listenTcp();
    const http = await listenHttp();
    const sorry = await listenTcp();
    const pt = (tcp.address() as AddressInfo).port;
    const ph = (http.address() as AddressInfo).port;
    const ps = (sorry.address() as AddressInfo).port;
    const conf = `
virtual_server 10.0.0.100 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    sorry_server 127.0.0.1 ${ps}
    real_server 127.0.0.1 ${pt} {
        weight 3
        TCP_CHECK {
            connect_timeout 1
            retry 1
            delay_before_retry 0.05
            delay_loop 0.1
            warmup 0
        }
    }
    real_server 127.0.0.1 ${ph} {
        weight 1
        HTTP_GET {
            url {
                path /health
                status_code 200-299
            }
            url {
                path /health
                status_code 700
            }
            connect_timeout 1
            retry 0
            delay_loop 0.1
            warmup 0
        }
    }
}
`;
    const cfg = loadKeepalivedText(conf, 'keepalived.conf');
    const model = new ControlModel();
    const log = new CaptureLogger();
    const { manager, problems } = createHealthManager(cfg, {
      editor: { execute: (argv) => model.execute(argv, '', NO_STATS) },
      logger: log,
      bootstrapDelayMs: 0,
      random: () => 0,
    });
    expect(problems).toEqual(["keepalived.conf:27: Invalid HTTP_GET status code '700'"]);
    const dests = () => (model.current.services[0]?.dests ?? []).map((d) => `${d.addr}:${d.port} w${d.weight}`).sort();
    try {
      manager.start();
      expect(model.current.services.map((s) => `${s.addr}:${s.port} ${s.sched}`)).toEqual(['10.0.0.100:80 wrr']);
      expect(dests()).toEqual([`127.0.0.1:${ph} w1`, `127.0.0.1:${pt} w3`].sort());
      await until(() => manager.status().virtualServers[0].realServers.every((r) => r.checks >= 2));
      expect(dests()).toEqual([`127.0.0.1:${ph} w1`, `127.0.0.1:${pt} w3`].sort());

      await close(tcp);
      tcp = null;
      await until(() => dests().length === 1);
      expect(dests()).toEqual([`127.0.0.1:${ph} w1`]);

      await close(http);
      await until(() => dests().includes(`127.0.0.1:${ps} w1`));
      expect(dests()).toEqual([`127.0.0.1:${ps} w1`]);
      expect(manager.status().virtualServers[0].sorryServer).toEqual({ dest: `127.0.0.1:${ps}`, active: true });

      tcp = await listenTcp(pt);
      await until(() => dests().includes(`127.0.0.1:${pt} w3`));
      expect(dests()).toEqual([`127.0.0.1:${pt} w3`]);
      expect(log.lines.some((l) => l.startsWith('Gained quorum'))).toBe(true);
    } finally {
      await manager.stop();
      if (tcp) await close(tcp);
      await close(sorry);
      http.close();
    }
    expect(model.current.services).toEqual([]);
  });
});

describe('virtual_server group', () => {
  it('one set of checkers for the group; every table change goes to each member', async () => {
    let tcp: Server | null = await listenTcp();
    const pt = (tcp.address() as AddressInfo).port;
    const conf = `
virtual_server_group web {
    10.0.0.100 80
    10.0.0.101 80
}
virtual_server group web {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 ${pt} {
        TCP_CHECK {
            connect_timeout 1
            retry 0
            delay_loop 0.1
            warmup 0
        }
    }
}
`;
    const cfg = loadKeepalivedText(conf, 'group.conf');
    expect(cfg.virtualServers.length).toBe(2);
    const model = new ControlModel();
    const { manager, problems } = createHealthManager(cfg, {
      editor: { execute: (argv) => model.execute(argv, '', NO_STATS) },
      bootstrapDelayMs: 0,
      random: () => 0,
    });
    expect(problems).toEqual([]);
    const table = () => model.current.services.map((s) => `${s.addr}:${s.port} [${s.dests.map((d) => `${d.addr}:${d.port}`).join(',')}]`).sort();
    try {
      manager.start();
      const st = manager.status();
      expect(st.virtualServers.map((v) => v.service)).toEqual(['[web]:80']);
      expect(st.virtualServers[0].realServers[0].checkers.length).toBe(1);
      expect(table()).toEqual([`10.0.0.100:80 [127.0.0.1:${pt}]`, `10.0.0.101:80 [127.0.0.1:${pt}]`]);
      await close(tcp);
      tcp = null;
      await until(() => table().every((l) => l.endsWith('[]')));
      expect(table()).toEqual(['10.0.0.100:80 []', '10.0.0.101:80 []']);
    } finally {
      await manager.stop();
      if (tcp) await close(tcp);
    }
    expect(model.current.services).toEqual([]);
  });
});
