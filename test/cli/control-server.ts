// A control socket served by the daemon's own handleControlConnection over a fresh ControlModel,
// in a temp directory: what the CLI tests (uvsadm, uvs status) talk to instead of a `uvs run`.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleControlConnection } from '../../src/control/server.js';
import { ControlModel, NO_STATS } from '../../src/control/model.js';
import { StaticResolver } from '../../src/control/names.js';

export interface ControlServer {
  dir: string;
  sock: string;
  close(): Promise<void>;
}

export async function startControlServer(name: string, status: () => unknown): Promise<ControlServer> {
  const dir = mkdtempSync(join(tmpdir(), `uvs-t-${name}-`));
  const sock = join(dir, 'uvs.sock');
  const model = new ControlModel({ names: new StaticResolver() });
  const server = createServer((s) => handleControlConnection(s, model, NO_STATS, { status }));
  await new Promise<void>((r) => server.listen(sock, r));
  return {
    dir, sock,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
