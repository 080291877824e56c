// RouteWatch: a change of the route file's text calls back once; no change, no call; stop() stops.

import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RouteWatch } from '../../src/daemon/route-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RouteWatch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uvs-t-routewatch-'));
  const file = join(dir, 'route');
  let watch: RouteWatch | null = null;
  afterEach(() => watch?.stop());

  it('calls back once per change of the table, not while it stays the same, and not after stop()', async () => {
    writeFileSync(file, 'Iface\tDestination\tGateway\nd0\t0009000A\t00000000\n');
    let calls = 0;
    watch = new RouteWatch(() => { calls++; }, 10, file);
    watch.start();
    await sleep(60);
    expect(calls).toBe(0);
    writeFileSync(file, 'Iface\tDestination\tGateway\nd0\t0009000A\t00000000\nd1\t0000030A\t0100020A\n');
    await sleep(60);
    expect(calls).toBe(1);
    watch.stop();
    writeFileSync(file, 'Iface\tDestination\tGateway\n');
    await sleep(60);
    expect(calls).toBe(1);
    rmSync(dir, { recursive: true, force: true });
  });
});
