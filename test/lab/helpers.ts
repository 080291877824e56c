// Shared helpers for the lab tests: a lab of their own (UVS_LAB-style name `uvs-t-lab`, namespaces
// uvs-t-lab-*, state in /run/uvs-t-lab/), commands inside its nodes, and the client probe.
// The lab starts built code (dist/): `npm test` builds first; run `npm run build` before
// `npx vitest run test/lab` alone.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  up, down, labPaths, defaultUpOptions, DIST_ROOT, daemonAvailable as daemonBuilt, uvsadmScript,
  type LabState, type UpOptions,
} from '../../netns-lab/lab.js';
import { run, type RunResult } from '../../netns-lab/exec.js';
import type { LabMode } from '../../netns-lab/topology/index.js';
import type { ProbeResult } from '../../netns-lab/probe.js';

export const T_PATHS = labPaths('uvs-t-lab');

export const isRoot = process.getuid?.() === 0;

export function distBuilt(): boolean {
  return existsSync(join(DIST_ROOT, 'netns-lab', 'rs-agent.js'));
}

/** The director daemon exists in this build (`uvs run`); the through-the-director tests need it. */
export function daemonAvailable(): boolean {
  return daemonBuilt();
}

export async function labUp(mode: LabMode, o: Partial<UpOptions> = {}): Promise<LabState> {
  if (!distBuilt()) throw new Error('dist/ is not built: run `npm run build` first');
  const { state } = await up({ ...defaultUpOptions(mode), ...o }, T_PATHS);
  return state;
}

export async function labDown(): Promise<void> {
  await down(T_PATHS);
}

export function ns(st: LabState, node: string): string {
  const n = st.topology.nodes.find((x) => x.name === node);
  if (!n) throw new Error(`no node ${node}`);
  return n.netns;
}

export function inNode(st: LabState, node: string, cmd: string, args: string[], timeoutMs = 15_000): RunResult {
  return run('ip', ['netns', 'exec', ns(st, node), cmd, ...args], { timeoutMs });
}

export interface ProbeOut {
  results: ProbeResult[];
  perServer: Record<string, number>;
  failures: number;
}

/** Run the client probe (netns-lab/probe.ts) inside the client namespace. */
export function probe(st: LabState, args: string[]): ProbeOut {
  const r = inNode(st, 'client', process.execPath, [join(DIST_ROOT, 'netns-lab', 'probe.js'), ...args], 60_000);
  if (r.code !== 0) throw new Error(`probe ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeOut;
}

/** uvsadm against the lab's director. */
export function uvsadm(st: LabState, args: string[], input?: string): RunResult {
  return run(process.execPath, [uvsadmScript(), '--socket', st.director.socket, ...args], { timeoutMs: 10_000, ...(input !== undefined ? { input } : {}) });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
