/**
 * The notification text people read, per failure class and per alarm / sweeper notice,
 * against reviewed snapshots (__snapshots__/notices.test.ts.snap: read it as the messages).
 */
import alarmFixture from '../../../events/cloudwatch/alarm-via-sns-single-metric.json';
import { alarmNotice, parseAlarmMessage } from '../../../../lib/shared/notices/alarm-notice';
import {
  incompleteBatchNotice,
  lateBatchNotice,
  runOverMaxRuntimeNotice,
  stuckBatchNotice,
} from '../../../../lib/shared/notices/batch-notices';
import { consoleFragmentEncode, taskLogStreamUrl } from '../../../../lib/shared/notices/links';
import { renderNotice, type Notice } from '../../../../lib/shared/notices/notice';
import { runNotice } from '../../../../lib/shared/notices/run-notice';
import {
  classifyFailure,
  FAILURE_CLASSES,
  FAILURE_HINTS,
  type FailureClass,
  type StepFailure,
} from '../../../../lib/pipelines/runs/classify-failure';

const stack = { service: 'ecs-pipelines', stage: 'prod' };
const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:ecs-pipelines-prod-pipeline:orders-daily-2026-11-20-3f9a';
const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/ecs-pipelines-prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const ecsCause = (fields: Record<string, unknown>) => JSON.stringify({ taskArn, ...fields });

/** One realistic Step Functions failure per class. */
const FAILURES: Record<FailureClass, StepFailure> = {
  'container-error': {
    error: 'States.TaskFailed',
    cause: ecsCause({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'pipeline', exitCode: 2 }],
    }),
  },
  'out-of-memory': {
    error: 'States.TaskFailed',
    cause: ecsCause({
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'pipeline', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
    }),
  },
  'image-pull': {
    error: 'States.TaskFailed',
    cause: ecsCause({
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
      containers: [{ name: 'pipeline' }],
    }),
  },
  capacity: {
    error: 'AmazonECS.Unknown',
    cause:
      'RunTask failures: [{"reason":"Capacity is unavailable at this time. Please try again later or in a different availability zone"}]',
  },
  'spot-interruption': {
    error: 'States.TaskFailed',
    cause: ecsCause({
      stopCode: 'SpotInterruption',
      stoppedReason: 'Your Spot Task was interrupted.',
      containers: [{ name: 'pipeline', exitCode: 143 }],
    }),
  },
  timeout: { error: 'States.Timeout', cause: '' },
  'heartbeat-timeout': { error: 'States.HeartbeatTimeout', cause: '' },
  unknown: { error: 'States.Runtime', cause: 'An error occurred while executing the state.' },
};

const text = (notice: Notice) => {
  const rendered = renderNotice(notice);
  return `Subject: ${rendered.subject}\nAttributes: ${JSON.stringify(rendered.attributes)}\n\n${rendered.message}`;
};

describe('run failure notices', () => {
  it.each(FAILURE_CLASSES.map((c) => [c]))('%s', (failureClass) => {
    const classified = classifyFailure(FAILURES[failureClass], 'pipeline');
    expect(classified.errorClass).toBe(failureClass);
    const notice = runNotice({
      stack,
      pipeline: 'orders-daily',
      batchKey: '2026-11-20',
      runKey: 'orders-daily#2026-11-20',
      status: 'FAILED',
      errorClass: classified.errorClass,
      errorMessage: `1 of 1 shard(s) failed; shard 0: ${classified.message}`,
      hint: FAILURE_HINTS[failureClass],
      anomalies: [],
      shards: [
        {
          index: 0,
          status: 'FAILED',
          exitCode: classified.exitCode,
          stopReason: classified.stopReason,
          recordsAffected: null,
          errorClass: failureClass,
          errorMessage: classified.message,
          taskArn,
        },
      ],
      startedAt: '2026-11-20T06:00:00.000Z',
      endedAt: '2026-11-20T06:12:34.000Z',
      durationMs: 754_000,
      recordsAffected: null,
      executionArn,
      taskLogs: {
        region: 'eu-west-1',
        logGroup: '/ecs/ecs-pipelines-prod/pipelines',
        container: 'pipeline',
        streamPrefix: 'sample-pipeline',
      },
    });
    expect(text(notice)).toMatchSnapshot();
  });

  it('anomalies of a successful run', () => {
    const notice = runNotice({
      stack,
      pipeline: 'orders-daily',
      batchKey: '2026-11-21',
      runKey: 'orders-daily#2026-11-21',
      status: 'SUCCEEDED',
      errorClass: null,
      errorMessage: null,
      anomalies: ['affected 6200000 records, above the 5000000 threshold (alarms.maxRecordsAffected)'],
      shards: [{ index: 0, status: 'SUCCEEDED', exitCode: 0, stopReason: null, recordsAffected: 6_200_000 }],
      startedAt: '2026-11-21T06:00:00.000Z',
      endedAt: '2026-11-21T06:20:00.000Z',
      durationMs: 1_200_000,
      recordsAffected: 6_200_000,
      executionArn,
    });
    expect(text(notice)).toMatchSnapshot();
  });
});

describe('alarm notices', () => {
  const message = alarmFixture.Records[0]!.Sns.Message;

  it('a foreign alarm (the CloudWatch sample as delivered by SNS) still reads well', () => {
    expect(text(alarmNotice(parseAlarmMessage(message), { stack, region: 'eu-west-1' }))).toMatchSnapshot();
  });

  it("this stack's per-pipeline alarm names its pipeline, cause and advice", () => {
    const alarm = JSON.parse(message);
    alarm.AlarmName = 'ecs-pipelines-prod/run-failures/orders-daily';
    alarm.AlarmDescription = 'Pipeline orders-daily: 1 or more failed runs within an hour (alarms.failuresPerHour)';
    alarm.AlarmArn = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ecs-pipelines-prod/run-failures/orders-daily';
    alarm.Trigger = {
      ...alarm.Trigger,
      MetricName: 'RunsFailed',
      Namespace: 'EcsPipelines',
      Statistic: 'SUM',
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [
        { name: 'service', value: 'ecs-pipelines' },
        { name: 'stage', value: 'prod' },
        { name: 'pipeline', value: 'orders-daily' },
      ],
    };
    const notice = alarmNotice(parseAlarmMessage(JSON.stringify(alarm)), { stack, region: 'us-east-1' });
    expect(notice).toMatchObject({ pipeline: 'orders-daily', cause: { class: 'run-failures' } });
    expect(text(notice)).toMatchSnapshot();
  });

  it('a Lambda errors alarm links to the function logs', () => {
    const alarm = JSON.parse(message);
    alarm.AlarmName = 'ecs-pipelines-prod/lambda-errors/kinesisFanIn';
    alarm.AlarmArn = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:x';
    alarm.Trigger = {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ name: 'FunctionName', value: 'ecs-pipelines-prod-kinesisFanIn' }],
    };
    const rendered = renderNotice(alarmNotice(parseAlarmMessage(JSON.stringify(alarm)), { stack, region: 'us-east-1' }));
    expect(rendered.message).toContain('log-group/$252Faws$252Flambda$252Fecs-pipelines-prod-kinesisFanIn');
    expect(rendered.subject).toBe('[ecs-pipelines prod] ALARM: alarm lambda-errors (kinesisFanIn)');
  });

  it("keeps a long subject within SNS's limit (printable ASCII, less than 100 characters)", () => {
    const long = renderNotice({
      kind: 'run-failed',
      severity: 'ALARM',
      title: 'run FAILED',
      stack,
      pipeline: 'a-pipeline-with-a-rather-long-name-for-reports',
      batchKey: 'region=eu-west-1/date=2026-11-20/part=0007',
      whatHappened: 'x',
    });
    expect(long.subject.length).toBeLessThan(100);
    expect(long.subject).toMatch(/^[\x20-\x7E]+$/);
  });

  it('rejects a message that is not an alarm, naming what is wrong', () => {
    expect(() => parseAlarmMessage('{"hello":1}')).toThrow(/not a CloudWatch alarm: .*AlarmName/);
    expect(() => parseAlarmMessage('nope')).toThrow(/not JSON: starts "nope"/);
  });
});

describe('sweeper notices', () => {
  const batch = {
    stack,
    pipeline: 'orders-daily',
    batchKey: '2026-11-20',
    firstArrivalAt: '2026-11-20T00:10:00.000Z',
    deadline: Date.parse('2026-11-20T06:10:00Z') / 1000,
    windowMinutes: 360,
    arrived: [{ file: 'orders', key: 'incoming/acme/orders-2026-11-20.csv' }],
    missing: ['customers'],
    now: new Date('2026-11-20T06:15:00Z'),
  };
  it('incomplete batch', () => expect(text(incompleteBatchNotice(batch))).toMatchSnapshot());
  it('stuck batch', () =>
    expect(text(stuckBatchNotice({ ...batch, missing: [], lastArrivalAt: '2026-11-20T01:00:00.000Z' }))).toMatchSnapshot());
  it('late batch', () =>
    expect(
      text(
        lateBatchNotice({
          stack,
          pipeline: 'orders-daily',
          batchKey: '2026-11-20',
          runKey: 'orders-daily#2026-11-20',
          overdueNotifiedAt: '2026-11-20T06:15:00.000Z',
          firstArrivalAt: batch.firstArrivalAt,
          arrived: batch.arrived,
        }),
      ),
    ).toMatchSnapshot());
  it('run past its max runtime', () =>
    expect(
      text(
        runOverMaxRuntimeNotice({
          stack,
          pipeline: 'orders-daily',
          batchKey: '2026-11-20',
          runKey: 'orders-daily#2026-11-20',
          status: 'RUNNING',
          startedAt: '2026-11-20T06:00:00.000Z',
          maxRuntimeSeconds: 1800,
          now: new Date('2026-11-20T06:40:00Z'),
          executionArn,
        }),
      ),
    ).toMatchSnapshot());
});

describe('links', () => {
  it('builds the task log stream URL the CloudWatch console opens', () => {
    expect(consoleFragmentEncode('/ecs/x')).toBe('$252Fecs$252Fx');
    expect(
      taskLogStreamUrl({
        region: 'eu-west-1',
        logGroup: '/ecs/p',
        container: 'pipeline',
        taskArn: 'arn:aws:ecs:eu-west-1:1:task/c/abc',
        streamPrefix: 'sample-pipeline',
      }),
    ).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fp/log-events/sample-pipeline$252Fpipeline$252Fabc',
    );
  });
});
