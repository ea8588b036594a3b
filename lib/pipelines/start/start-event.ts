/**
 * The start-pipeline function's event (a schedule firing, or a manual start), validated and
 * dispatched to its use case. Shared by the handler and the DLQ redrive, which hands a failed
 * invocation's original event back to the same code.
 */
import * as v from '../../shared/validation';
import type { BatchesTable } from '../adapters/batches-table';
import { startManualRun, startScheduledRun } from './entries';
import type { StartOutcome, StartPipelineDeps } from './start-pipeline';

const ScheduledEventSchema = v.strictObject({
  pipeline: v.string().min(1),
  trigger: v.literal('schedule'),
  /** The schedule's fire time, passed by the rule's input transformer (`<aws.events.event.time>` / `$.time`). */
  time: v.iso.datetime({ offset: true }).optional(),
});
const ManualEventSchema = v.strictObject({
  pipeline: v.string().min(1),
  batch: v.string().min(1).optional(),
  force: v.boolean().optional(),
});
export const StartEventSchema = v.union([ScheduledEventSchema, ManualEventSchema]);
export type StartEvent = v.Infer<typeof StartEventSchema>;

export class InvalidStartEventError extends Error {
  override readonly name = 'InvalidStartEventError';
}

export function parseStartEvent(event: unknown): StartEvent {
  const parsed = StartEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidStartEventError(
      'startPipeline expects {"pipeline":"…","trigger":"schedule","time"?:"…"} or {"pipeline":"…","batch"?:"…","force"?:true}; ' +
        `got ${JSON.stringify(event)?.slice(0, 300)}: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    );
  }
  return parsed.data;
}

export async function startFromEvent(event: unknown, deps: StartPipelineDeps & { batches: BatchesTable }): Promise<{ request: StartEvent; outcome: StartOutcome }> {
  const request = parseStartEvent(event);
  const outcome =
    'trigger' in request
      ? await startScheduledRun({ pipeline: request.pipeline, ...(request.time ? { time: new Date(request.time) } : {}) }, deps)
      : await startManualRun(request, deps);
  return { request, outcome };
}
