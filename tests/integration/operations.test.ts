/**
 * Operating commands: list runs through the Runs index on dynalite, and the DLQ redrive of
 * each queue's nature with in-memory queues (delete on success, keep with the reason).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { listRuns } from '../../lib/pipelines/operations/runs';
import type { DeadLetterQueue, DlqMessage, StreamRecord } from '../../lib/pipelines/adapters/dead-letter-queues';
import { redriveDeadLetters, type RedriveDeps } from '../../lib/pipelines/operations/redrive';
import { pipelines } from '../../lib/registry';
import { runsIndex } from '../../lib/pipelines/adapters/runs-index';
import { startDynalite, type Dynalite } from '../helpers/dynalite';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.stop());

describe('opsListRuns', () => {
  it("lists a pipeline's runs newest first with status and duration, and only that pipeline's", async () => {
    const put = (pk: string, pipeline: string, requestedAt: string, extra: Record<string, unknown>) =>
      db.client.send(
        new PutCommand({
          TableName: db.tables.runs,
          Item: { pk, pipeline, batchKey: pk.split('#')[1], trigger: 's3', attempt: 1, executionName: 'e', requestedAt, ...extra },
        }),
      );
    await put('orders-daily#a', 'orders-daily', '2026-11-18T06:00:00.000Z', {
      status: 'SUCCEEDED',
      durationMs: 61_000,
      result: { status: 'SUCCEEDED', recordsAffected: 10, errorClass: null },
    });
    await put('orders-daily#b', 'orders-daily', '2026-11-19T06:00:00.000Z', {
      status: 'FAILED',
      durationMs: 5_000,
      result: {
        status: 'FAILED',
        errorClass: 'out-of-memory',
        cost: { usd: 0.0052, tasksUsd: 0.0049, transitionsUsd: 0.0003, transitions: 11, taskSeconds: 600 },
      },
    });
    await put('orders-daily#c', 'orders-daily', '2026-11-20T06:00:00.000Z', {
      status: 'RUNNING',
      startedAt: '2026-11-20T06:00:00.000Z',
      executionArn: 'arn:aws:states:us-east-1:1:execution:p:c',
    });
    await put('inventory-snapshot#x', 'inventory-snapshot', '2026-11-20T07:00:00.000Z', { status: 'SUCCEEDED' });

    const deps = { runs: runsIndex(db.client, db.tables.runs), registry: pipelines(), clock: () => new Date('2026-11-20T06:02:00.000Z') };
    const result = await listRuns({ pipeline: 'orders-daily', limit: 2 }, deps);
    expect(result.runs.map((r) => [r.runKey, r.status, r.duration, r.errorClass])).toEqual([
      ['orders-daily#c', 'RUNNING', '2m 0s so far', null],
      ['orders-daily#b', 'FAILED', '5s', 'out-of-memory'],
    ]);
    // Each run's estimated cost, as the state machine recorded it (none yet for a running one).
    expect(result.runs.map((r) => r.cost)).toEqual([null, '$0.0052']);
    expect(result.runs[0]!.execution).toContain('#/v2/executions/details/arn:aws:states:us-east-1:1:execution:p:c');
    await expect(listRuns({ pipeline: 'nope', limit: 5 }, deps)).rejects.toThrow('unknown pipeline "nope"');
  });
});

function memoryQueue(
  bodies: Array<string | { body: string; attributes: Record<string, string> }>,
): DeadLetterQueue & { left: () => string[] } {
  const messages = new Map(bodies.map((body, i) => [`m${i}`, typeof body === 'string' ? { body } : body]));
  let handed = new Set<string>();
  return {
    async receive(max) {
      const out: DlqMessage[] = [];
      for (const [id, message] of messages)
        if (!handed.has(id) && out.length < max) out.push({ messageId: id, receiptHandle: id, ...message });
      out.forEach((m) => handed.add(m.messageId));
      return out;
    },
    async delete(m) {
      messages.delete(m.messageId);
    },
    async release(m) {
      handed = new Set([...handed].filter((id) => id !== m.messageId));
    },
    left: () => [...messages.keys()],
  };
}

describe('opsRedriveDlq', () => {
  const asyncRecord = (payload: unknown) =>
    JSON.stringify({
      version: '1.0',
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: payload,
      responsePayload: { errorType: 'Error' },
    });
  const kinesisRecord = (start: string, end: string) =>
    JSON.stringify({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      KinesisBatchInfo: { shardId: 'shardId-000000000000', startSequenceNumber: start, endSequenceNumber: end, batchSize: 2 },
    });

  function deps(queues: Partial<RedriveDeps['queues']>, over: Partial<RedriveDeps> = {}): RedriveDeps & { calls: unknown[] } {
    const calls: unknown[] = [];
    const empty = memoryQueue([]);
    return {
      queues: { watcher: empty, 'fan-in': empty, start: empty, ...queues },
      watcher: async (event) => void calls.push(['watcher', event]),
      start: async (event) => {
        if ((event as { pipeline?: string }).pipeline === 'broken') throw new Error('UnknownPipelineError: unknown pipeline "broken"');
        calls.push(['start', event]);
      },
      fanIn: async (record) => void calls.push(['fan-in', record.sequenceNumber]),
      events: async (delivery) => void calls.push(['events', delivery]),
      ruleNamePrefix: 'ecs-pipelines-dev-',
      stream: { read: async () => [] },
      calls,
      ...over,
    };
  }

  it('re-invokes the start use case with each requestPayload; deletes the redriven, keeps the failing with its reason', async () => {
    const queue = memoryQueue([
      asyncRecord({ pipeline: 'orders-daily', batch: '2026-11-20' }),
      asyncRecord({ pipeline: 'broken' }),
      'not json',
    ]);
    const d = deps({ start: queue });
    const report = await redriveDeadLetters({ queue: 'start', max: 50, dryRun: false }, d);
    expect(d.calls).toEqual([['start', { pipeline: 'orders-daily', batch: '2026-11-20' }]]);
    expect(report.redriven).toEqual(['m0']);
    expect(report.kept).toEqual([
      { messageId: 'm1', reason: 'Error: UnknownPipelineError: unknown pipeline "broken"' },
      { messageId: 'm2', reason: expect.stringMatching(/^RedriveMessageError: not JSON/) },
    ]);
    expect(queue.left()).toEqual(['m1', 'm2']);
  });

  it('re-reads a fan-in failure range from the stream and processes every record', async () => {
    const queue = memoryQueue([kinesisRecord('100', '101'), kinesisRecord('5', '6')]);
    const records: Record<string, StreamRecord[]> = {
      '100': [
        { sequenceNumber: '100', partitionKey: 'k', data: '' },
        { sequenceNumber: '101', partitionKey: 'k', data: '' },
      ],
    };
    const d = deps({ 'fan-in': queue }, { stream: { read: async (_shard, start) => records[start] ?? [] } });
    const report = await redriveDeadLetters({ queue: 'fan-in', max: 50, dryRun: false }, d);
    expect(d.calls).toEqual([
      ['fan-in', '100'],
      ['fan-in', '101'],
    ]);
    expect(report.redriven).toEqual(['m0']);
    expect(report.kept).toEqual([
      { messageId: 'm1', reason: expect.stringContaining("no longer holds 5..6 (past the stream's retention?)") },
    ]);
  });

  describe('the events queue', () => {
    const event = { version: '0', id: 'e-1', source: 'com.acme.orders', 'detail-type': 'OrderBatchClosed', detail: { n: 1 } };
    const undelivered = (body: unknown, ruleArn: string) => ({
      body: JSON.stringify(body),
      attributes: {
        RULE_ARN: ruleArn,
        TARGET_ARN: 'arn:aws:lambda:us-east-1:1:function:f',
        ERROR_CODE: 'THROTTLING',
        ERROR_MESSAGE: 'Rate exceeded',
      },
    });
    const rule = (name: string, bus?: string) => `arn:aws:events:us-east-1:123456789012:rule/${bus ? `${bus}/` : ''}${name}`;

    it("hands a failed invocation's requestPayload, and an undelivered event with its rule's pipeline, to startFromEvent", async () => {
      const queue = memoryQueue([
        asyncRecord({ pipeline: 'order-batch-closed', event }),
        undelivered(event, rule('ecs-pipelines-dev-order-batch-closed')),
        undelivered(event, rule('ecs-pipelines-dev-refunds-issued', 'payments')),
        // The rule's transformed input, should EventBridge keep that instead of the event.
        undelivered({ pipeline: 'order-batch-closed', event }, rule('ecs-pipelines-dev-order-batch-closed')),
      ]);
      const d = deps({ events: queue });
      const report = await redriveDeadLetters({ queue: 'events', max: 50, dryRun: false }, d);
      expect(d.calls).toEqual([
        ['events', { pipeline: 'order-batch-closed', event }],
        ['events', { pipeline: 'order-batch-closed', event }],
        ['events', { pipeline: 'refunds-issued', event }],
        ['events', { pipeline: 'order-batch-closed', event }],
      ]);
      expect(report).toEqual({ queue: 'events', redriven: ['m0', 'm1', 'm2', 'm3'], kept: [], dryRun: false });
      expect(queue.left()).toEqual([]);
    });

    it('keeps what cannot be attributed to a pipeline, and says why', async () => {
      const queue = memoryQueue([
        JSON.stringify(event), // an event without RULE_ARN
        undelivered(event, rule('another-stack-orders')),
        undelivered({ hello: 'world' }, rule('ecs-pipelines-dev-order-batch-closed')),
        undelivered({ pipeline: 'refunds-issued', event }, rule('ecs-pipelines-dev-order-batch-closed')),
        'not json',
      ]);
      const d = deps({ events: queue });
      const report = await redriveDeadLetters({ queue: 'events', max: 50, dryRun: false }, d);
      expect(d.calls).toEqual([]);
      expect(report.kept).toEqual([
        { messageId: 'm0', reason: expect.stringContaining('no RULE_ARN message attribute') },
        { messageId: 'm1', reason: expect.stringContaining("is not a pipeline's rule of this stack (ecs-pipelines-dev-<pipeline>)") },
        { messageId: 'm2', reason: expect.stringContaining('is not an EventBridge event') },
        { messageId: 'm3', reason: expect.stringContaining('names pipeline "refunds-issued"') },
        { messageId: 'm4', reason: expect.stringMatching(/^RedriveMessageError: not JSON/) },
      ]);
      expect(queue.left()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    });

    it('says so when the stage has no events dead-letter queue', async () => {
      await expect(redriveDeadLetters({ queue: 'events', max: 50, dryRun: false }, deps({}))).rejects.toThrow(
        'this stage has no events dead-letter queue (no pipeline has trigger.events)',
      );
    });
  });

  it('a dry run changes nothing', async () => {
    const queue = memoryQueue([asyncRecord({ Records: [] })]);
    const d = deps({ watcher: queue });
    const report = await redriveDeadLetters({ queue: 'watcher', max: 50, dryRun: true }, d);
    expect(d.calls).toEqual([]);
    expect(report.kept).toEqual([{ messageId: 'm0', reason: 'dry run: would be redriven' }]);
    expect(queue.left()).toEqual(['m0']);
    // Left visible: the redrive right after it finds and redrives the message.
    const redriven = await redriveDeadLetters({ queue: 'watcher', max: 50, dryRun: false }, d);
    expect(redriven.redriven).toEqual(['m0']);
    expect(queue.left()).toEqual([]);
  });
});
