/**
 * The stack's alarms on the local cloud: the run-failures, records-affected and dead-letter
 * depth alarms are evaluated on local metrics, and a change of state reaches the operators'
 * topic through the alarm topic and the alarm formatter, as on AWS.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../../../local/cloud/aws';
import type { LocalCloud } from '../../../../local/cloud/start';
import { freshLocalCloud, waitFor } from '../../../../local/cloud/test-support';

jest.setTimeout(240_000);

let cloud: LocalCloud & { scratch: string };
beforeAll(async () => {
  cloud = await freshLocalCloud({ alarmTickMs: 0 });
});
afterAll(async () => {
  await cloud?.stop();
});

const alarm = (name: string) => cloud.monitoring.alarms.alarms.get(name);

test('the per-pipeline alarms and one depth alarm per dead-letter queue are evaluated locally, in OK at start', () => {
  expect(alarm('ecs-pipelines-local/run-failures/orders-daily')).toMatchObject({
    state: 'OK',
    metricName: 'RunsFailed',
    periodSeconds: 3600,
  });
  expect(alarm('ecs-pipelines-local/records-affected/orders-daily')).toMatchObject({ state: 'OK', metricName: 'RunRecordsAffected' });
  const depth = [...cloud.monitoring.alarms.alarms.values()].filter(
    (a) => a.namespace === 'AWS/SQS' && a.metricName === 'ApproximateNumberOfMessagesVisible',
  );
  expect(depth.map((a) => a.dimensions.QueueName)).toEqual(
    expect.arrayContaining(['ecs-pipelines-local-FanInDeadLetterQueue', 'ecs-pipelines-local-WatcherDeadLetterQueue']),
  );
});

test('a message in the fan-in DLQ trips its depth alarm; the formatter tells the operators', async () => {
  // Prepare
  const dlq = cloud.resources.queues.FanInDeadLetterQueue!;
  await cloud.clients.sqs.send(
    new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: '{"requestContext":{"condition":"RetryAttemptsExhausted"}}' }),
  );
  // Act
  const transitions = await cloud.monitoring.evaluateAlarms();
  // Assess
  const tripped = transitions.find((t) => t.alarm.dimensions.QueueName === dlq.name);
  expect(tripped).toMatchObject({ oldState: 'OK', alarm: { state: 'ALARM' } });
  const notice = await waitFor('the DLQ notice', async () =>
    cloud.monitoring.notices().find((n) => n.topicName.endsWith('OperatorsTopic') && n.message.includes(dlq.name)),
  );
  expect(notice.subject).toMatch(/^\[ecs-pipelines local\] ALARM: /);
  expect(notice.attributes.kind?.StringValue).toBe('alarm');
  expect(notice.message).toContain(dlq.name);
});

test('a run that affected more records than alarms.maxRecordsAffected trips records-affected; the notice names the pipeline', async () => {
  // Prepare: what Summarize Run's EMF line reports for a run of 6,000,000 records (threshold 5,000,000).
  const cloudWatch = new CloudWatchClient({ region: cloud.region, credentials: LOCAL_CREDENTIALS, endpoint: cloud.endpoints.monitoring });
  await cloudWatch.send(
    new PutMetricDataCommand({
      Namespace: 'EcsPipelines',
      MetricData: [
        {
          MetricName: 'RunRecordsAffected',
          Dimensions: [
            { Name: 'service', Value: 'ecs-pipelines' },
            { Name: 'stage', Value: 'local' },
            { Name: 'pipeline', Value: 'orders-daily' },
          ],
          Value: 6_000_000,
          Unit: 'Count',
        },
      ],
    }),
  );
  cloudWatch.destroy();
  // Act
  const transitions = await cloud.monitoring.evaluateAlarms();
  // Assess
  expect(transitions.map((t) => [t.alarm.alarmName, t.alarm.state])).toContainEqual([
    'ecs-pipelines-local/records-affected/orders-daily',
    'ALARM',
  ]);
  const notice = await waitFor('the records-affected notice', async () =>
    cloud.monitoring.notices().find((n) => n.topicName.endsWith('OperatorsTopic') && n.subject?.includes('records-affected')),
  );
  expect(notice.attributes.pipeline?.StringValue).toBe('orders-daily');
  expect(notice.message).toContain('6000000');
});
