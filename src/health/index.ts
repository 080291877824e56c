// Public surface of src/health for the daemon and `uvs lint`.

export type { Checker, CheckResult, CheckerTiming, ParsedChecker } from './checker.js';
export type { TableEditor, ExecResult } from './table-editor.js';
export { HealthManager, type HealthOptions, type HealthLogger, type HealthStatus, type VirtualServerInput, type RealServerSpec, type ReloadSummary, summarizeReload } from './manager.js';
export { allProblems, buildHealthInput, createHealthManager, problemKey, reloadHealthManager, type ReloadOutcome } from './build.js';
export { checkerKeywords } from './registry.js';
export { formatHealthStatus } from './status-text.js';
export { FakeTimers, realTimers, type HealthTimers } from './timers.js';
