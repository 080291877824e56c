// Loads the uvs native addon (native/, N-API) for the lab's own use: the TUN device of the
// userspace IP-in-IP decapsulator. Only src/io touches the addon for the datapath.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LabNative {
  tunOpen(name: string): number;
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = here.endsWith(join('dist', 'netns-lab')) ? dirname(dirname(here)) : dirname(here);

export function loadNative(): LabNative {
  const require = createRequire(import.meta.url);
  const path = join(repoRoot, 'native', 'build', 'Release', 'uvs_native.node');
  try {
    const mod = require(path) as Partial<LabNative>;
    if (typeof mod.tunOpen !== 'function') throw new Error('addon has no tunOpen (rebuild with `npm run build:native`)');
    return mod as LabNative;
  } catch (e) {
    throw new Error(`native addon ${path} unavailable: ${e instanceof Error ? e.message : String(e)}`);
  }
}
