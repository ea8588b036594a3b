/**
 * The dispatcher's events: a pipeline execution's status change (it ended: its slots are
 * free) or its 5-minute schedule. Validated at the edge; the run is read from the execution
 * input the event carries (lib/contracts/messages.ts ExecutionInputSchema).
 */
import * as v from '../../shared/validation';

const EndedExecutionSchema = v.object({
  source: v.literal('aws.states'),
  'detail-type': v.literal('Step Functions Execution Status Change'),
  detail: v.object({
    status: v.enum(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    name: v.string(),
    /** The execution input as text; EventBridge leaves it out when it is too large (inputDetails.included false). */
    input: v.string().nullish(),
  }),
});
const ScheduledEventSchema = v.object({ source: v.literal('aws.events'), 'detail-type': v.literal('Scheduled Event') });
const RunOfInputSchema = v.object({ runKey: v.string().min(1), pipeline: v.string().min(1) });

export class InvalidDispatchEventError extends Error {
  override readonly name = 'InvalidDispatchEventError';
}

export type DispatchEvent =
  | { kind: 'ended'; execution: string; status: string; run?: { runKey: string; pipeline: string } }
  | { kind: 'scheduled' };

export function parseDispatchEvent(event: unknown): DispatchEvent {
  const ended = EndedExecutionSchema.safeParse(event);
  if (ended.success) {
    const { name, status, input } = ended.data.detail;
    let run: { runKey: string; pipeline: string } | undefined;
    if (input) {
      try {
        const parsed = RunOfInputSchema.safeParse(JSON.parse(input));
        if (parsed.success) run = parsed.data;
      } catch {
        // Not JSON: the pass below still frees the slots of ended runs.
      }
    }
    return { kind: 'ended', execution: name, status, ...(run ? { run } : {}) };
  }
  if (ScheduledEventSchema.safeParse(event).success) return { kind: 'scheduled' };
  throw new InvalidDispatchEventError(
    `dispatchRuns expects a Step Functions Execution Status Change or a Scheduled Event; got ${JSON.stringify(event)?.slice(0, 300)}`,
  );
}
