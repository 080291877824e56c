// Picks the topology builder for a forwarding mode.

import { drTopology } from './dr.js';
import { natTopology } from './nat.js';
import { tunTopology } from './tun.js';
import type { LabMode, Topology, TopologyOptions } from './types.js';

export function buildTopology(mode: LabMode, opts: TopologyOptions): Topology {
  if (mode === 'dr') return drTopology(opts);
  if (mode === 'nat') return natTopology(opts);
  return tunTopology(opts);
}

export * from './types.js';
