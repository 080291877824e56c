// The part of the control table the datapath forwards. The control model (like ipvsadm) holds
// IPv4 and IPv6 services, but the engine forwards IPv4 only and validates a table as a whole:
// handing it an IPv6 service would make it refuse every later change. So the daemon passes the
// IPv4 services and dests on and names what it leaves out, for the log.

import type { VirtualServerTable } from '../model/config.js';
import { serviceLabel } from '../model/config.js';

export function datapathTable(table: VirtualServerTable): { table: VirtualServerTable; notForwarded: string[] } {
  const notForwarded: string[] = [];
  const services = [];
  for (const s of table.services) {
    if (s.af !== 4) {
      notForwarded.push(serviceLabel(s));
      continue;
    }
    const dests = s.dests.filter((d) => d.af === 4);
    for (const d of s.dests) if (d.af !== 4) notForwarded.push(`${serviceLabel(s)} -> [${d.addr}]:${d.port}`);
    services.push(dests.length === s.dests.length ? s : { ...s, dests });
  }
  return { table: { ...table, services }, notForwarded };
}
