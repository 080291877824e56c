// status() as text, for the daemon and uvsadm to show: one line per virtual server (quorum,
// live weight, sorry server), one per real server (state, table weight, counters, last reason),
// one per checker.

import type { HealthStatus } from './manager.js';

export function formatHealthStatus(st: HealthStatus): string {
  const out: string[] = [];
  for (const vs of st.virtualServers) {
    const sorry = vs.sorryServer ? `  sorry_server ${vs.sorryServer.dest} ${vs.sorryServer.active ? 'ACTIVE' : 'standby'}` : '';
    out.push(`${vs.service}  quorum ${vs.quorum}+/-${vs.hysteresis} ${vs.quorumUp ? 'UP' : 'DOWN'}  live weight ${vs.liveWeight}${sorry}`);
    for (const rs of vs.realServers) {
      const table = rs.inTable ? `weight ${rs.tableWeight}` : 'not in table';
      out.push(
        `  -> ${rs.dest.padEnd(21)} ${rs.alive ? 'UP  ' : 'DOWN'}  ${table.padEnd(12)} checks ${rs.checks} failures ${rs.failures} hung ${rs.hung} transitions ${rs.transitions}${rs.lastReason ? `  last: ${rs.lastReason}` : ''}`,
      );
      for (const c of rs.checkers) {
        const retry = c.retryIt ? ` retry ${c.retryIt}/${c.retry}` : '';
        out.push(`       ${c.type} ${c.target} ${c.up ? 'up' : 'down'}${c.running ? ' (running)' : ''}${retry}  every ${c.delayLoopMs / 1000} s`);
      }
    }
  }
  return out.join('\n') + (out.length ? '\n' : '');
}
