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
  });
});
