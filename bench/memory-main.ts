import { runMemoryBench } from './engine.js';

/** Child-process entry of the memory scenario (started with --expose-gc by run.ts). */
const scenarios = await runMemoryBench({ quick: process.argv.includes('--quick') });
process.stdout.write(JSON.stringify(scenarios));
