import { showRun } from '../../../../lib/pipelines/operations/runs';
import type { BatchesTable } from '../../../../lib/pipelines/adapters/batches-table';
import { pipelines } from '../../../../lib/registry';

describe('showRun', () => {
  it('shows the run with its estimated cost and how it is made up', async () => {
    const item = {
      pk: 'inventory-snapshot#schedule#2026-11-20T06:00:00Z',
      pipeline: 'inventory-snapshot',
      batchKey: '2026-11-20',
      trigger: 'schedule',
      attempt: 1,
      executionName: 'e',
      requestedAt: '2026-11-20T06:00:00.000Z',
      status: 'SUCCEEDED',
      durationMs: 125_000,
      result: {
        status: 'SUCCEEDED',
        recordsAffected: 12,
        errorClass: null,
        shards: [{ index: 0 }, { index: 1 }],
        cost: { usd: 0.00124, tasksUsd: 0.00096, transitionsUsd: 0.00028, transitions: 11, taskSeconds: 240 },
      },
    };
    const shown = await showRun(
      { runKey: item.pk },
      {
        getRun: async () => item,
        batches: { get: async () => undefined } as unknown as BatchesTable,
        registry: pipelines(),
        clock: () => new Date('2026-11-20T07:00:00.000Z'),
        taskLogs: { region: 'us-east-1', logGroup: '/ecs/x' },
      },
    );
    expect(shown.run).toMatchObject({ status: 'SUCCEEDED', duration: '2m 5s', cost: '$0.0012' });
    expect(shown.cost).toEqual({
      estimate: '$0.0012 (Fargate $0.0010 for 240 task-seconds, 11 transitions $0.0003)',
      usd: 0.00124,
      tasksUsd: 0.00096,
      transitionsUsd: 0.00028,
      transitions: 11,
      taskSeconds: 240,
    });

    // A run whose shards were tried again: how much of the task time the retried tries took.
    const retried = { ...item, result: { ...item.result, cost: { ...item.result.cost, taskSeconds: 300, retriedTaskSeconds: 60 } } };
    const again = await showRun(
      { runKey: item.pk },
      {
        getRun: async () => retried,
        batches: { get: async () => undefined } as unknown as BatchesTable,
        registry: pipelines(),
        clock: () => new Date('2026-11-20T07:00:00.000Z'),
        taskLogs: { region: 'us-east-1', logGroup: '/ecs/x' },
      },
    );
    expect(again.cost).toMatchObject({
      estimate: '$0.0012 (Fargate $0.0010 for 300 task-seconds, 60 of them by retried tries, 11 transitions $0.0003)',
      retriedTaskSeconds: 60,
    });
  });

  it('shows which rule completed a batch of unknown size, on the run and on its files', async () => {
    const run = {
      pk: 'inventory-parts#2026-11-20',
      pipeline: 'inventory-parts',
      batchKey: '2026-11-20',
      trigger: 's3',
      completedBy: 'marker',
      attempt: 1,
      executionName: 'e',
      requestedAt: '2026-11-20T06:00:00.000Z',
      status: 'RUNNING',
    };
    const key = 'incoming/inventory-parts/2026-11-20/snapshot-1.csv';
    const batch = {
      pk: run.pk,
      pipeline: run.pipeline,
      batchKey: run.batchKey,
      arrived: [key],
      objects: { [key]: { bucket: 'b', key, size: 3, etag: 'e', file: 'snapshot', eventTime: '2026-11-20T05:59:00.000Z' } },
      firstArrivalAt: '2026-11-20T05:59:00.000Z',
      deadline: 0,
      markerAt: '2026-11-20T06:00:00.000Z',
      completedBy: 'marker' as const,
      startedRunKey: run.pk,
    };
    const shown = await showRun(
      { pipeline: 'inventory-parts', batch: '2026-11-20' },
      {
        getRun: async () => run,
        batches: { get: async () => batch } as unknown as BatchesTable,
        registry: pipelines(),
        clock: () => new Date('2026-11-20T07:00:00.000Z'),
        taskLogs: { region: 'us-east-1', logGroup: '/ecs/x' },
      },
    );
    expect(shown.run).toMatchObject({ completedBy: 'marker', trigger: 's3' });
    expect(shown.files).toMatchObject({ arrived: [{ file: 'snapshot', key, size: 3 }], missing: [], completedBy: 'marker' });
  });
});
