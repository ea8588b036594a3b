import { summarizeRun } from '../../../../lib/pipelines/runs/summarize-run';

const run = (alarms: Record<string, number>, outcomes: unknown[]) => ({
  run: {
    pipeline: 'orders-daily', runKey: 'orders-daily#2026-11-20', batchKey: '2026-11-20', executionName: 'orders-daily-2026-11-20-3f9a',
    task: { taskDefinition: 'ecs-pipelines-test-sample-pipeline', container: 'pipeline', launch: 'callback' }, shards: outcomes.map((_, index) => ({ index, count: outcomes.length })),
    alarms, prepared: { shardRuns: outcomes },
  },
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:ecs-pipelines-dev-pipeline:orders-daily-2026-11-20-3f9a',
  startedAt: '2026-11-20T06:00:00.000Z',
});

describe('summarizeRun', () => {
  it('notifies a successful run whose runtime and records affected pass the alarm thresholds', () => {
    const summary = summarizeRun(run({ maxRuntimeSeconds: 1800, maxRecordsAffected: 1000 }, [
      { launch: 'callback', output: { recordsAffected: 800 } },
      { launch: 'callback', output: { recordsAffected: 700 } },
    ]), { clock: () => new Date('2026-11-20T06:45:00.000Z') });

    expect(summary).toMatchObject({ status: 'SUCCEEDED', durationMs: 2_700_000, notify: true, result: { recordsAffected: 1500, errorClass: null } });
    expect(summary.anomalies).toEqual([
      'ran 45m 0s, above the 30m 0s threshold (alarms.maxRuntimeSeconds)',
      'affected 1500 records, above the 1000 threshold (alarms.maxRecordsAffected)',
    ]);
    expect(summary.notification.subject).toBe('WARNING: orders-daily 2026-11-20: run succeeded with anomalies');
    expect(summary.notification.message).toContain('https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/');
    expect(summary.attributeValues[':status']).toEqual({ S: 'SUCCEEDED' });
    expect(summary.attributeValues[':durationMs']).toEqual({ N: '2700000' });
  });

  it('does not notify a quiet successful run', () => {
    const summary = summarizeRun(run({}, [{ launch: 'callback', output: {} }]), { clock: () => new Date('2026-11-20T06:01:00.000Z') });
    expect(summary).toMatchObject({ status: 'SUCCEEDED', notify: false, anomalies: [], result: { recordsAffected: null } });
  });
});
