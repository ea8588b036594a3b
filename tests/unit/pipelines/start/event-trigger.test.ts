/** Runs started by events and queue messages, over the in-memory doubles of the start tests. */
import { ExecutionInputSchema } from '../../../../lib/contracts/messages';
import { MAX_INLINE_EVENT_CHARS } from '../../../../lib/contracts/task-contract';
import { indexRegistry, parseRegistry } from '../../../../lib/registry/parse-registry';
import { UnknownPipelineError } from '../../../../lib/pipelines/start/errors';
import {
  MalformedTriggerMessageError,
  MissingBatchKeyError,
  pipelineOfQueue,
  startEventRun,
  startQueueRun,
} from '../../../../lib/pipelines/start/event-trigger';
import type { StartPipelineDeps } from '../../../../lib/pipelines/start/start-pipeline';
import { fakeStepFunctions, manualClock, memoryRuns, noRunControl, stack } from './fakes';

const TASK = `
    task: { taskDefinition: sample, container: app, image: example.com/app:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }`;
const registry = indexRegistry(
  parseRegistry(`
pipelines:
  order-batch-closed:
    trigger:
      events:
        pattern: { source: [com.acme.orders] }
        batchKey: $.detail.metadata.idempotency-key${TASK}
  order-requests:
    trigger:
      queue: { batchKey: $.batch }${TASK}
`),
);

function setup() {
  const memory = memoryRuns();
  const fake = fakeStepFunctions();
  const deps: StartPipelineDeps = {
    runs: memory.runs,
    sfn: fake.sfn,
    clock: manualClock('2026-11-20T06:00:41.123Z').clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    ...noRunControl,
  };
  return { deps, ...memory, ...fake };
}

const event = (key: string | undefined, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: `id-${key}`,
  source: 'com.acme.orders',
  'detail-type': 'OrderBatchClosed',
  detail: { data: { region: 'AU', ...extra }, metadata: key === undefined ? {} : { 'idempotency-key': key } },
});

describe('startEventRun', () => {
  test('one run per idempotency key: k1, k1, k2, k1 start two executions, the event in each input', async () => {
    const { deps, calls } = setup();
    const outcomes = [];
    for (const key of ['k1', 'k1', 'k2', 'k1'])
      outcomes.push(await startEventRun({ pipeline: 'order-batch-closed', event: event(key) }, deps));

    expect(outcomes.map((o) => [o.runKey, o.status])).toEqual([
      ['order-batch-closed#k1', 'started'],
      ['order-batch-closed#k1', 'already-started'],
      ['order-batch-closed#k2', 'started'],
      ['order-batch-closed#k1', 'already-started'],
    ]);
    expect(calls).toHaveLength(2);
    const input = ExecutionInputSchema.parse(calls[0]!.input);
    expect(input).toMatchObject({ trigger: 'events', batchKey: 'k1', objects: [] });
    expect(JSON.parse(input.event!)).toEqual(event('k1'));
  });

  test('an event too large for the container overrides travels on the Runs item', async () => {
    const { deps, calls, locks } = setup();
    await startEventRun({ pipeline: 'order-batch-closed', event: event('big', { lines: 'x'.repeat(MAX_INLINE_EVENT_CHARS) }) }, deps);

    const input = ExecutionInputSchema.parse(calls[0]!.input);
    expect(input.event).toBeUndefined();
    expect(input.eventPointer).toEqual({ table: 'runs', runKey: 'order-batch-closed#big' });
    // The lock writes it on the Runs item.
    expect(JSON.parse(locks[0]!.event!)).toEqual(event('big', { lines: 'x'.repeat(MAX_INLINE_EVENT_CHARS) }));
  });

  test('an event without its batch key starts nothing and says which key it lacked', async () => {
    const { deps, calls } = setup();
    await expect(startEventRun({ pipeline: 'order-batch-closed', event: event(undefined) }, deps)).rejects.toThrow(
      new MissingBatchKeyError(
        'event id-undefined (com.acme.orders / OrderBatchClosed) for pipeline "order-batch-closed" has no batch key at $.detail.metadata.idempotency-key (found nothing): a run needs a non-empty string or number there',
      ),
    );
    await expect(
      startEventRun(
        { pipeline: 'order-batch-closed', event: { ...event('k'), detail: { metadata: { 'idempotency-key': { nested: true } } } } },
        deps,
      ),
    ).rejects.toThrow(/found \{"nested":true\}/);
    expect(calls).toHaveLength(0);
  });

  test('a delivery that is not the rule input, or names a pipeline without events, is refused by name', async () => {
    const { deps } = setup();
    await expect(startEventRun(event('k1'), deps)).rejects.toBeInstanceOf(MalformedTriggerMessageError);
    await expect(startEventRun({ pipeline: 'order-requests', event: event('k1') }, deps)).rejects.toThrow(
      new UnknownPipelineError('order-requests', ['order-batch-closed']),
    );
  });
});

describe('startQueueRun', () => {
  test('a message starts one run; the same batch again starts nothing new; a number is a key too', async () => {
    const { deps, calls } = setup();
    const first = await startQueueRun({ pipeline: 'order-requests', messageId: 'm1', body: '{"batch":"q1"}' }, deps);
    const again = await startQueueRun({ pipeline: 'order-requests', messageId: 'm2', body: '{"batch":"q1","retry":true}' }, deps);
    const numbered = await startQueueRun({ pipeline: 'order-requests', messageId: 'm3', body: '{"batch":42}' }, deps);

    expect([first.status, again.status, numbered.runKey]).toEqual(['started', 'already-started', 'order-requests#42']);
    expect(calls).toHaveLength(2);
    expect(ExecutionInputSchema.parse(calls[0]!.input)).toMatchObject({ trigger: 'queue', event: '{"batch":"q1"}' });
  });

  test('a body that is not JSON, or has no batch key, is refused with the message id', async () => {
    const { deps, calls } = setup();
    await expect(startQueueRun({ pipeline: 'order-requests', messageId: 'm9', body: '{"batch":' }, deps)).rejects.toThrow(
      /^message m9 of pipeline "order-requests"'s queue is not JSON/,
    );
    await expect(startQueueRun({ pipeline: 'order-requests', messageId: 'm8', body: '{"batch":""}' }, deps)).rejects.toBeInstanceOf(
      MissingBatchKeyError,
    );
    expect(calls).toHaveLength(0);
  });
});

test('pipelineOfQueue reads the pipeline back from its queue name, FIFO or not', () => {
  const prefix = 'ecs-pipelines-dev-';
  expect(pipelineOfQueue('arn:aws:sqs:us-east-1:123456789012:ecs-pipelines-dev-order-requests-runs', prefix)).toBe('order-requests');
  expect(pipelineOfQueue('arn:aws:sqs:us-east-1:123456789012:ecs-pipelines-dev-order-requests-runs.fifo', prefix)).toBe('order-requests');
  expect(() => pipelineOfQueue('arn:aws:sqs:us-east-1:123456789012:someone-elses-queue', prefix)).toThrow(MalformedTriggerMessageError);
});
