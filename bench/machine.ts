import { cpus, loadavg, totalmem, release } from 'node:os';

/** What the numbers were measured on. */
export function machine() {
  const c = cpus();
  return {
    cores: c.length,
    cpu: c[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
    date: new Date().toISOString(),
    /** 1-minute load average when the run ended: other work on the machine skews every figure. */
    loadAverage: Math.round(loadavg()[0]! * 10) / 10,
  };
}
