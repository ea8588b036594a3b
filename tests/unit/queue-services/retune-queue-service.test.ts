/**
 * The scheduled re-tune of one queue service: the burst path QUEUE_SERVICES names reaches the
 * use case, and a partly applied update fails the invocation with what was applied.
 */
import { pipelines } from '../../../lib/registry';
import type { DeployedQueueService } from '../../../lib/queue-services/deployed-services';
import { retuneQueueService } from '../../../lib/queue-services/retune-queue-service';
import type { MetricAlarms, ScalingPolicies } from '../../../lib/queue-services/update-scaling-target';
import { PartialScalingUpdateError } from '../../../lib/queue-services/update-scaling-target';

const RESOURCE_ID = 'service/cluster/stack-thumbnails-Service';

const deployed: DeployedQueueService = {
  serviceName: 'stack-thumbnails-Service',
  policyName: 'stack-thumbnails-backlog-per-task',
  metricDimension: 'stack-thumbnails',
  queueUrl: 'https://sqs/q',
  burst: { alarmName: 'stack-BurstAlarm', policyName: 'stack-thumbnails-burst', thresholdFactor: 0.3, maxStepPercent: 6400 },
};

function deps(putThreshold: MetricAlarms['putThreshold']) {
  const described: string[] = [];
  const policies: ScalingPolicies = {
    describe: async (resourceId, policyName) => ({ policyName, resourceId, targetValue: 24, configuration: {} }),
    putTarget: async () => undefined,
    describeStep: async (resourceId, policyName) => ({ policyName, resourceId, steps: [], configuration: {} }),
    putSteps: async () => undefined,
  };
  const alarms: MetricAlarms = {
    describe: async (alarmName) => {
      described.push(alarmName);
      return { alarmName, threshold: 7.2, definition: {} };
    },
    putThreshold,
  };
  return {
    described,
    deps: {
      policies,
      alarms,
      // 4 s per message over the hour: the target halves.
      stats: { window: async () => ({ sumSeconds: 4000, count: 1000 }) },
      clock: () => new Date('2026-11-20T12:00:00Z'),
      cluster: 'cluster',
      settings: pipelines().registry.queueServices,
      deployed: { thumbnails: deployed },
    },
  };
}

test("the burst path QUEUE_SERVICES names is kept in proportion to the service's new target", async () => {
  const { deps: d, described } = deps(async () => undefined);

  const result = await retuneQueueService('thumbnails', d);

  expect(described).toEqual(['stack-BurstAlarm']);
  expect(result).toMatchObject({ action: 'update', resourceId: RESOURCE_ID, applied: ['target', 'burst-alarm-threshold', 'burst-steps'] });
  expect(result.burst!.threshold).toBeCloseTo(0.3 * (result as { proposed: number }).proposed, 3);
});

test('a partly applied update fails the invocation, saying what was applied', async () => {
  const { deps: d } = deps(async () => {
    throw new Error('AccessDenied');
  });

  const failure = await retuneQueueService('thumbnails', d).catch((error: unknown) => error);

  expect(failure).toBeInstanceOf(PartialScalingUpdateError);
  expect(failure).toMatchObject({ applied: ['target'], failed: 'burst-alarm-threshold', notAttempted: ['burst-steps'] });
});
