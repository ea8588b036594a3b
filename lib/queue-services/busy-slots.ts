/**
 * Busy slots, the burst path's scale-in metric (registry `burst.scaleIn`): the share of the
 * running tasks' message slots the queue's messages would fill, (visible + in flight) /
 * (tasks × concurrency). The template's scale-in alarm computes it with CloudWatch metric math
 * over one-minute periods from the workers' high-resolution metrics (container/worker/
 * backlog-metric.ts): each task writes one sample every burst period, so SampleCount(WorkerAlive)
 * over a minute / (60 / period) is the tasks reporting. The local autoscaler reads the same
 * expression back from the template, so both divide by the same concurrency.
 */

/** The alarm's expression over the metric ids visible, inflight (Average) and alive (SampleCount). */
export function busySlotsExpression(periodSeconds: number, concurrency: number): string {
  if (!(periodSeconds > 0 && 60 % periodSeconds === 0))
    throw new RangeError(`busy slots need a period dividing 60 s, got ${periodSeconds}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1))
    throw new RangeError(`concurrency must be a whole number >= 1, got ${concurrency}`);
  return `(visible + inflight) / (alive / ${60 / periodSeconds} * ${concurrency})`;
}

/** The samples per minute and concurrency of an expression busySlotsExpression wrote; undefined for any other. */
export function parseBusySlotsExpression(expression: string): { samplesPerMinute: number; concurrency: number } | undefined {
  const match = /^\(visible \+ inflight\) \/ \(alive \/ (\d+) \* (\d+)\)$/.exec(expression.trim());
  return match ? { samplesPerMinute: Number(match[1]), concurrency: Number(match[2]) } : undefined;
}

/** Busy slots of running tasks; undefined with none running (no task reports: no datapoint). */
export function busySlots(visible: number, inFlight: number, running: number, concurrency: number): number | undefined {
  return running > 0 ? (visible + inFlight) / (running * concurrency) : undefined;
}
