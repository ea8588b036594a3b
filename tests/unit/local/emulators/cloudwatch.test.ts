/** The local CloudWatch: EMF lines become datapoints; alarms change state on them and say why. */
import { LocalAlarms, type AlarmDefinition } from '../../../../local/emulators/cloudwatch/alarms';
import { emfDatapoints, MetricStore } from '../../../../local/emulators/cloudwatch/metrics';

const NOW = Date.parse('2026-11-20T06:30:00Z');

test('an EMF document gives one datapoint per metric value and dimension set; other lines give none', () => {
  const line = JSON.stringify({
    _aws: {
      Timestamp: NOW,
      CloudWatchMetrics: [
        {
          Namespace: 'EcsPipelines',
          Dimensions: [['service', 'stage', 'pipeline'], ['stage']],
          Metrics: [
            { Name: 'RunsFailed', Unit: 'Count' },
            { Name: 'RunDuration', Unit: 'Seconds' },
          ],
        },
      ],
    },
    service: 'ecs-pipelines',
    stage: 'local',
    pipeline: 'orders-daily',
    RunsFailed: 1,
    RunDuration: [12, 30],
  });
  const points = emfDatapoints(line, 'function summarizeRun');
  expect(points.map((p) => [p.metricName, p.value, Object.keys(p.dimensions).join(',')])).toEqual([
    ['RunsFailed', 1, 'service,stage,pipeline'],
    ['RunDuration', 12, 'service,stage,pipeline'],
    ['RunDuration', 30, 'service,stage,pipeline'],
    ['RunsFailed', 1, 'stage'],
    ['RunDuration', 12, 'stage'],
    ['RunDuration', 30, 'stage'],
  ]);
  expect(emfDatapoints('{"level":"INFO","message":"run summarized"}')).toEqual([]);
  expect(emfDatapoints('not json {CloudWatchMetrics')).toEqual([]);
});

const runFailures: AlarmDefinition = {
  alarmName: 'ecs-pipelines-local/run-failures/orders-daily',
  alarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:ecs-pipelines-local/run-failures/orders-daily',
  namespace: 'EcsPipelines',
  metricName: 'RunsFailed',
  dimensions: { service: 'ecs-pipelines', stage: 'local', pipeline: 'orders-daily' },
  statistic: 'Sum',
  periodSeconds: 3600,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  threshold: 1,
  comparisonOperator: 'GreaterThanOrEqualToThreshold',
  treatMissingData: 'notBreaching',
  alarmActions: ['arn:aws:sns:us-east-1:000000000000:alarms'],
  okActions: ['arn:aws:sns:us-east-1:000000000000:alarms'],
  insufficientDataActions: [],
  actionsEnabled: true,
};

test('an alarm goes to ALARM on a breaching datapoint with the notification CloudWatch sends, and back to OK when it ages out', () => {
  // Prepare
  let now = NOW;
  const metrics = new MetricStore(6 * 3600_000, () => now);
  const alarms = new LocalAlarms(metrics, { region: 'us-east-1', accountId: '000000000000' }, () => now);
  alarms.define(runFailures);
  expect(alarms.evaluate()).toEqual([]);
  // Act
  metrics.put({
    namespace: 'EcsPipelines',
    metricName: 'RunsFailed',
    dimensions: { ...runFailures.dimensions },
    timestamp: NOW - 60_000,
    value: 1,
  });
  const [toAlarm] = alarms.evaluate();
  now += 3600_000;
  const [toOk] = alarms.evaluate();
  // Assess
  expect(toAlarm!.oldState).toBe('OK');
  expect(toAlarm!.actions).toEqual(['arn:aws:sns:us-east-1:000000000000:alarms']);
  const message = JSON.parse(toAlarm!.message);
  expect(message).toMatchObject({
    AlarmName: runFailures.alarmName,
    NewStateValue: 'ALARM',
    OldStateValue: 'OK',
    Trigger: { MetricName: 'RunsFailed', Namespace: 'EcsPipelines', Threshold: 1, Period: 3600 },
  });
  expect(message.NewStateReason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[1 \(/);
  expect(toOk!.alarm.state).toBe('OK');
  expect(JSON.parse(toOk!.message).OldStateValue).toBe('ALARM');
});

test('other dimensions are another metric: they do not trip the alarm', () => {
  const metrics = new MetricStore(6 * 3600_000, () => NOW);
  const alarms = new LocalAlarms(metrics, { region: 'us-east-1', accountId: '000000000000' }, () => NOW);
  alarms.define(runFailures);
  metrics.put({
    namespace: 'EcsPipelines',
    metricName: 'RunsFailed',
    dimensions: { service: 'ecs-pipelines', stage: 'local', pipeline: 'inventory-snapshot' },
    timestamp: NOW - 1000,
    value: 3,
  });
  expect(alarms.evaluate()).toEqual([]);
});
