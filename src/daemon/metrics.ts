// Prometheus text exposition (format 0.0.4) of the director's counters, served over HTTP only on
// the address given with --metrics (loopback by default). Counters come from a worker snapshot
// (per service and dest) and the engine's shared counters (verdicts, drop reasons).

import { createServer, type Server } from 'node:http';
import type { VirtualServerTable } from '../model/config.js';
import { serviceLabel } from '../model/config.js';
import type { Snapshot } from './worker-protocol.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Out {
  lines: string[] = [];
  private declared = new Set<string>();
  metric(name: string, type: 'counter' | 'gauge', help: string, labels: Record<string, string>, value: number): void {
    if (!this.declared.has(name)) {
      this.declared.add(name);
      this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
    this.lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  }
}

export interface MetricsInput {
  table: VirtualServerTable;
  snapshot: Snapshot;
  verdicts: Record<string, number>;
  drops: Record<string, number>;
  uptimeS: number;
}

export function renderMetrics(m: MetricsInput): string {
  const o = new Out();
  o.metric('uvs_uptime_seconds', 'gauge', 'Seconds since uvs run started.', {}, m.uptimeS);
  const c = m.snapshot.counters;
  o.metric('uvs_rx_frames_total', 'counter', 'Frames received from the interfaces.', {}, c.rx ?? 0);
  o.metric('uvs_tx_frames_total', 'counter', 'Frames sent to the interfaces.', {}, c.tx ?? 0);
  o.metric('uvs_tx_drops_total', 'counter', 'Frames the interfaces refused or the tx queue had no room for.', {}, c.txDrops ?? 0);
  o.metric('uvs_oversize_drops_total', 'counter', 'Frames longer than the MTU (offload super-frames) dropped unforwarded.', {}, c.oversize ?? 0);
  o.metric('uvs_kernel_drops_total', 'counter', 'Frames the kernel dropped before uvs read them (socket buffer full).', {}, c.kernelDrops ?? 0);
  o.metric('uvs_arp_requests_total', 'counter', 'ARP requests sent by the neighbour cache.', {}, c.arpSent ?? 0);
  o.metric('uvs_gratuitous_arp_total', 'counter', 'Gratuitous ARPs sent for VIPs.', {}, c.garpSent ?? 0);
  for (const [k, v] of Object.entries(c)) {
    if (k.startsWith('neigh_')) o.metric('uvs_neighbour_events_total', 'counter', 'Neighbour cache events.', { event: k.slice(6) }, v);
  }
  for (const [k, v] of Object.entries(m.verdicts)) o.metric('uvs_verdicts_total', 'counter', 'Frames by verdict.', { verdict: k }, v);
  for (const [k, v] of Object.entries(m.drops)) if (v > 0) o.metric('uvs_drops_total', 'counter', 'Dropped frames by reason.', { reason: k }, v);
  for (const svc of m.table.services) {
    const s = m.snapshot.services[svc.id];
    const label = serviceLabel(svc);
    if (s) {
      o.metric('uvs_service_connections_total', 'counter', 'Connections scheduled for the service.', { service: label }, s.conns);
      o.metric('uvs_service_in_packets_total', 'counter', 'Packets from clients.', { service: label }, s.inPkts);
      o.metric('uvs_service_out_packets_total', 'counter', 'Packets to clients (NAT).', { service: label }, s.outPkts);
      o.metric('uvs_service_in_bytes_total', 'counter', 'Bytes from clients.', { service: label }, s.inBytes);
      o.metric('uvs_service_out_bytes_total', 'counter', 'Bytes to clients (NAT).', { service: label }, s.outBytes);
    }
    for (const d of svc.dests) {
      const dc = m.snapshot.dests[d.id];
      const labels = { service: label, dest: `${d.addr}:${d.port}`, fwd: d.fwd };
      o.metric('uvs_dest_weight', 'gauge', 'Dest weight.', labels, d.weight);
      if (!dc) continue;
      o.metric('uvs_dest_active_conns', 'gauge', 'ActiveConn of the dest.', labels, dc.activeConns);
      o.metric('uvs_dest_inact_conns', 'gauge', 'InActConn of the dest.', labels, dc.inactConns);
      o.metric('uvs_dest_persist_conns', 'gauge', 'Persistence templates pointing at the dest.', labels, dc.persistConns);
      o.metric('uvs_dest_connections_total', 'counter', 'Connections scheduled to the dest.', labels, dc.stats.conns);
      o.metric('uvs_dest_in_packets_total', 'counter', 'Packets forwarded to the dest.', labels, dc.stats.inPkts);
    }
  }
  return o.lines.join('\n') + '\n';
}

/** Parses --metrics HOST:PORT ([v6]:port allowed); the default host is loopback. */
export function parseListen(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text) ?? /^(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m.length === 4 ? m[3] : m[1]);
  if (!Number.isInteger(port) || port > 65535) return null;
  const host = m.length === 4 ? (m[1] ?? m[2] ?? '') : '';
  return { host: host || '127.0.0.1', port };
}

export function serveMetrics(host: string, port: number, render: () => Promise<string>): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics' && req.url !== '/') {
      res.writeHead(404).end('not found\n');
      return;
    }
    render().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      (err: unknown) => res.writeHead(500).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
