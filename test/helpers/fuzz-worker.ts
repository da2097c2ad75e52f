import { parentPort, workerData } from 'node:worker_threads';
import { runFamily, type Family } from './fuzz.js';
import { exampleRegistry } from './registry.js';

/** Worker entry of the fuzz test: runs one family off the test's thread, so a hang can be cut off. */

const { family, seed, count, perCallMs, progress } = workerData as { family: Family; seed: number; count: number; perCallMs: number; progress: SharedArrayBuffer };
const report = runFamily(family, seed, count, exampleRegistry(), perCallMs, new Int32Array(progress));
parentPort!.postMessage(report);
