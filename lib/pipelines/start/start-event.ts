/**
 * The start-pipeline function's event (a schedule firing, or a manual start), validated and
 * dispatched to its use case. Shared by the handler and the DLQ redrive, which hands a failed
 * invocation's original event back to the same code.
 */
import * as v from '../../shared/validation';
import { startManualRun, type ManualOutcome } from './manual-run';
import { startScheduledRun, type ScheduledOutcome, type ScheduledRunDeps } from './scheduled-run';

const ScheduledEventSchema = v.strictObject({
  pipeline: v.string().min(1),
  trigger: v.literal('schedule'),
  /** The schedule's fire time, passed by the scheduler; absent in a start by hand (the clock's minute then). */
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

export type StartEventOutcome =
  | { request: Extract<StartEvent, { trigger: 'schedule' }>; kind: 'schedule'; outcome: ScheduledOutcome }
  | { request: Exclude<StartEvent, { trigger: 'schedule' }>; kind: 'manual'; outcome: ManualOutcome };

export async function startFromEvent(event: unknown, deps: ScheduledRunDeps): Promise<StartEventOutcome> {
  const request = parseStartEvent(event);
  if ('trigger' in request) {
    const outcome = await startScheduledRun(
      { pipeline: request.pipeline, ...(request.time ? { time: new Date(request.time) } : {}) },
      deps,
    );
    return { request, kind: 'schedule', outcome };
  }
  return { request, kind: 'manual', outcome: await startManualRun(request, deps) };
}
