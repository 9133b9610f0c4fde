/** How a result compares with its goal: `{ op: '<=', value: 2 }` reads "at most 2". */
export interface BenchTarget {
  op: '<' | '<=' | '>' | '>=';
  value: number;
}

/** One measured figure of a benchmark. */
export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  target?: BenchTarget;
  note?: string;
}

/** A benchmark module's named export `bench`: `bench/index.ts` runs every `bench/*.bench.ts` that has one. */
export interface Bench {
  name: string;
  run(): Promise<BenchResult[]>;
}

/** Whether `value` meets `target`. */
export function meetsTarget(value: number, target: BenchTarget): boolean {
  switch (target.op) {
    case '<':
      return value < target.value;
    case '<=':
      return value <= target.value;
    case '>':
      return value > target.value;
    case '>=':
      return value >= target.value;
  }
}

/** `YOLOOPS_BENCH_QUICK=1` shrinks every input for a smoke run; its figures are not representative. */
export const isQuickRun = (): boolean => process.env.YOLOOPS_BENCH_QUICK === '1';

/** Progress line of a running bench (stderr, so stdout stays the report). */
export const log = (bench: string, message: string): void => {
  process.stderr.write(`[${bench}] ${message}\n`);
};
