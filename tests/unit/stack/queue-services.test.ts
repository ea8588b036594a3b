/**
 * The queue-service generator's burst path scale-in (registry `burst.scaleIn`): target tracking
 * gives up its scale-in to a step policy on busy slots, unless `scaleIn: false`; the steps obey
 * Application Auto Scaling's StepAdjustment rules for any valid settings.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { stackSharedRefs, queueServiceResources } from '../../../stack/queue-services';
import { minimalPipeline } from '../../helpers/registry';

const shared = stackSharedRefs({ containerImage: 'image', subnetIds: '', assignPublicIp: 'ENABLED', logRetentionDays: 7 });

function resourcesWith(patch: (service: Record<string, any>) => void) {
  const service: Record<string, any> = {
    queue: { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 },
    task: { container: 'worker', cpu: 256, memory: 512, concurrency: 4 },
    acceptableLatencySeconds: 60,
    maxTasks: 10,
  };
  patch(service);
  const registry = parseRegistry(JSON.stringify({ pipelines: { demo: minimalPipeline() }, queueServices: { thumbnails: service } }));
  return queueServiceResources(registry.queueServices, shared).resources as Record<string, { Type: string; Properties: any }>;
}

type Step = { MetricIntervalLowerBound?: number; MetricIntervalUpperBound?: number; ScalingAdjustment: number };

/** Application Auto Scaling's StepAdjustment rules (API reference, StepAdjustment). */
function expectValidSteps(steps: Step[]) {
  const sorted = [...steps].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity));
  // No overlap, no gap.
  sorted.slice(1).forEach((step, i) => expect(step.MetricIntervalLowerBound).toBe(sorted[i]!.MetricIntervalUpperBound));
  // At most one null lower bound, and one exists because a lower bound is negative.
  expect(steps.filter((s) => s.MetricIntervalLowerBound === undefined)).toHaveLength(1);
  // No positive upper bound, so no null upper bound is needed; none has both bounds null.
  expect(steps.every((s) => s.MetricIntervalUpperBound !== undefined && s.MetricIntervalUpperBound <= 0)).toBe(true);
  expect(sorted[sorted.length - 1]!.MetricIntervalUpperBound).toBe(0);
}

describe('burst path scale-in in the generated template', () => {
  it('disables target tracking scale-in and adds the busy-slots step policy and its one-minute alarm', () => {
    const r = resourcesWith((s) => (s.burst = {}));
    expect(r.QueueThumbnailsScalingPolicy!.Properties.TargetTrackingScalingPolicyConfiguration.DisableScaleIn).toBe(true);
    const policy = r.QueueThumbnailsBurstScaleInPolicy!.Properties;
    expect(policy.StepScalingPolicyConfiguration).toMatchObject({
      AdjustmentType: 'PercentChangeInCapacity',
      Cooldown: 300,
      MetricAggregationType: 'Average',
    });
    expect(policy.StepScalingPolicyConfiguration.StepAdjustments).toEqual([
      { MetricIntervalUpperBound: -0.3, ScalingAdjustment: -50 },
      { MetricIntervalLowerBound: -0.3, MetricIntervalUpperBound: -0.15, ScalingAdjustment: -43 },
      { MetricIntervalLowerBound: -0.15, MetricIntervalUpperBound: 0, ScalingAdjustment: -25 },
    ]);
    const alarm = r.QueueThumbnailsBurstScaleInAlarm!.Properties;
    expect(alarm).toMatchObject({
      Threshold: 0.6,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'QueueThumbnailsBurstScaleInPolicy' }],
    });
    // Concurrency 4, one sample a task every 10 s: 6 samples a minute per task.
    expect(alarm.Metrics.find((m: any) => m.ReturnData).Expression).toBe('(visible + inflight) / (alive / 6 * 4)');
  });

  it('follows the registry: period, datapoints, cooldown, threshold and the steps of other settings', () => {
    const r = resourcesWith(
      (s) =>
        (s.burst = {
          periodSeconds: 30,
          scaleIn: { busyBelow: 0.5, busyTarget: 0.9, maxPercent: 30, datapoints: 3, cooldownSeconds: 120 },
        }),
    );
    const alarm = r.QueueThumbnailsBurstScaleInAlarm!.Properties;
    expect(alarm).toMatchObject({ Threshold: 0.5, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    expect(alarm.Metrics.find((m: any) => m.ReturnData).Expression).toBe('(visible + inflight) / (alive / 2 * 4)');
    const config = r.QueueThumbnailsBurstScaleInPolicy!.Properties.StepScalingPolicyConfiguration;
    expect(config.Cooldown).toBe(120);
    expectValidSteps(config.StepAdjustments);
    expect(config.StepAdjustments.every((s: Step) => s.ScalingAdjustment < 0 && s.ScalingAdjustment >= -30)).toBe(true);
  });

  it.each([
    [0.1, 0.2, 90],
    [0.6, 0.8, 50],
    [0.5, 1, 10],
    [0.9, 0.95, 1],
  ])('makes valid StepAdjustments for busyBelow %s, busyTarget %s, maxPercent %s', (busyBelow, busyTarget, maxPercent) => {
    const r = resourcesWith((s) => (s.burst = { scaleIn: { busyBelow, busyTarget, maxPercent } }));
    expectValidSteps(r.QueueThumbnailsBurstScaleInPolicy!.Properties.StepScalingPolicyConfiguration.StepAdjustments);
  });

  it('keeps target tracking scale-in, and adds no scale-in policy, with scaleIn: false or without burst', () => {
    for (const patch of [(s: any) => (s.burst = { scaleIn: false }), () => undefined]) {
      const r = resourcesWith(patch);
      expect(r.QueueThumbnailsScalingPolicy!.Properties.TargetTrackingScalingPolicyConfiguration.DisableScaleIn).toBeUndefined();
      expect(r.QueueThumbnailsBurstScaleInPolicy).toBeUndefined();
      expect(r.QueueThumbnailsBurstScaleInAlarm).toBeUndefined();
    }
  });
});
