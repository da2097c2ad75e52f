/** One row of bench/results/latest.json (the shape other tools read). */
export interface Scenario {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly p50_ms?: number;
  readonly p99_ms?: number;
  /** Peer figures in the same unit as `value`, measured in the same run. */
  readonly peers?: Readonly<Record<string, number>>;
  /** Ours divided by the reference figure the goal names. */
  readonly ratio?: number;
  readonly goal?: string;
  readonly met?: boolean;
  /** What produced the figure: wrk, in-process timers. */
  readonly tool?: string;
  readonly note?: string;
}
