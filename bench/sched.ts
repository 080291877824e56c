// `uvs bench sched`: the scheduler microbenchmark (bench/sched/schedule.bench.ts) as a module
// exporting run(argv), the shape src/cli/commands/bench.ts loads from dist/bench/<sub>.js.

export { run } from './sched/schedule.bench.js';
