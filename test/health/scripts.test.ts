// notify scripts run for real: exactly the configured arguments, the UVS_* environment, and a
// timeout that kills the script's whole process group.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from '../../src/health/scripts.js';

describe('runScript', () => {
  it('passes the configured arguments and the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvs-health-notify-'));
    try {
      const script = join(dir, 'notify.sh');
      writeFileSync(script, '#!/bin/sh\nprintf "%s|" "$@" > "$(dirname "$0")/out"\necho "$UVS_STATE $UVS_RS" >> "$(dirname "$0")/out"\n', { mode: 0o755 });
      const o = await runScript(`${script} DOWN "web 1" 10.0.0.11`, { UVS_STATE: 'DOWN', UVS_RS: '10.0.0.11:80', UVS_VS: 'TCP 10.0.0.100:80' }, 5000);
      expect(o).toMatchObject({ code: 0, timedOut: false, error: '' });
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('DOWN|web 1|10.0.0.11|DOWN 10.0.0.11:80\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills a script that outlives its timeout', async () => {
    const t0 = Date.now();
    const o = await runScript('sleep 30; echo never', {}, 200);
    expect(o.timedOut).toBe(true);
    expect(o.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('reports a missing script as exit 127, never throws', async () => {
    const o = await runScript('/nonexistent/uvs-notify', {}, 2000);
    expect(o.code).toBe(127);
  });
});
