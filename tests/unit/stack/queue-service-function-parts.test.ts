/**
 * What the target updater is told and granted about each queue service's burst path: its
 * QUEUE_SERVICES entry names the alarm and step policy only where the service has `burst:`, and
 * the alarm grant allows nothing when no service has one.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { queueServiceFunctionParts } from '../../../stack/queue-services';
import { minimalPipeline } from '../../helpers/registry';

const service = {
  queue: { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 },
  task: { container: 'worker', cpu: 256, memory: 512 },
  acceptableLatencySeconds: 60,
  maxTasks: 10,
};

const servicesOf = (queueServices: Record<string, unknown>) =>
  parseRegistry(JSON.stringify({ pipelines: { demo: minimalPipeline() }, queueServices })).queueServices;

/** The Fn::Join parts of QUEUE_SERVICES, references written as their logical ids. */
const jsonText = (deployedJson: unknown) =>
  ((deployedJson as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] as unknown[])
    .map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part)}>`))
    .join('');

test('the updater learns the burst alarm, policy, factor and largest step of a service with burst:, and nothing for one without', () => {
  const parts = queueServiceFunctionParts(servicesOf({ fast: { ...service, burst: { thresholdFactor: 0.4 } }, plain: service }));

  const text = jsonText(parts.deployedJson);

  expect(text).toContain('"burst":{"alarmName":"<{"Ref":"QueueFastBurstAlarm"}>"');
  expect(text).toMatch(/"thresholdFactor":0\.4,"maxStepPercent":\d+\}\}/);
  expect(text.slice(text.indexOf('"plain"'))).not.toContain('burst');
  expect(parts.burstAlarmStatement).toEqual({
    Effect: 'Allow',
    Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm'],
    Resource: [{ 'Fn::GetAtt': ['QueueFastBurstAlarm', 'Arn'] }],
    Condition: { 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [{ Ref: 'QueueFastBurstScalingPolicy' }] } },
  });
});

test('with no burst path anywhere the alarm grant allows nothing', () => {
  const parts = queueServiceFunctionParts(servicesOf({ plain: service }));

  expect(jsonText(parts.deployedJson)).not.toContain('burst');
  expect(parts.burstAlarmStatement).toMatchObject({ Effect: 'Deny' });
});
