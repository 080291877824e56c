// Putting a KeepalivedConfig into the ControlModel the way keepalived's ipvswrapper does at
// start-up: every virtual server as an ipvsadm -A, then its real servers as -a (all of them up,
// or none, as the caller decides: src/health moves them in and out later through the same
// typed ControlModel methods). Kernel refusals come back as `file:line: message`.

import type { KeepalivedConfig } from '../../model/keepalived.js';
import type { StatsSource } from '../../model/snapshot.js';
import type { ControlModel } from '../model.js';

export interface ApplyOptions {
  /** 'all-up': every real server added with its configured weight (what `uvs lint` shows). */
  realServers: 'all-up' | 'none';
}

export function applyKeepalived(model: ControlModel, cfg: KeepalivedConfig, stats: StatsSource, opts: ApplyOptions = { realServers: 'all-up' }): string[] {
  const problems: string[] = [];
  model.batch(() => {
    for (const vs of cfg.virtualServers) {
      const where = `${vs.node.file}:${vs.node.line}`;
      const err = model.addService(vs.service, stats);
      if (err) {
        problems.push(`${where}: ${err}`);
        continue;
      }
      if (opts.realServers === 'none') continue;
      for (const rs of vs.realServers) {
        const e = model.changeDest('add', vs.service, rs.dest, stats);
        if (e) problems.push(`${rs.node.file}:${rs.node.line}: ${e}`);
      }
    }
  });
  return problems;
}
