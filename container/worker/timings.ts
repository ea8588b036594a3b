/**
 * Wall time per step. Streaming interleaves the steps (a row is read, then transformed,
 * then the next is read), so time is accumulated per step rather than measured once.
 */
export const STEPS = ['extract', 'transform', 'load'] as const;
export type Step = (typeof STEPS)[number];
export type StepTimingsMs = Record<Step, number>;

export class StepTimings {
  private readonly totals: Record<Step, number> = { extract: 0, transform: 0, load: 0 };

  constructor(private readonly now: () => number = () => performance.now()) {}

  add(step: Step, ms: number): void {
    this.totals[step] += ms;
  }

  /** Starts a stopwatch; call the returned function to add the elapsed time to `step`. */
  start(step: Step): () => void {
    const began = this.now();
    return () => this.add(step, this.now() - began);
  }

  async time<T>(step: Step, work: () => Promise<T>): Promise<T> {
    const stop = this.start(step);
    try {
      return await work();
    } finally {
      stop();
    }
  }

  /** Whole milliseconds per step. */
  snapshot(): StepTimingsMs {
    return {
      extract: Math.round(this.totals.extract),
      transform: Math.round(this.totals.transform),
      load: Math.round(this.totals.load),
    };
  }
}
