/**
 * Application Auto Scaling for the stack's ECS services, locally: every target tracking
 * policy of the template that tracks an SQS queue's visible messages per running task (what
 * queue services deploy) gets a LocalAutoscaler with the policy's target value and cooldowns
 * and its scalable target's minimum and maximum, reading the local queue and setting the
 * local service's desired count. One tick stands for one metric minute: scale out after 3
 * ticks above the target, in after 15 below it (the alarms target tracking creates).
 * A step scaling policy (a queue service's burst path) joins the scaler of its scalable
 * target with its alarm's threshold and datapoints and its StepAdjustments: each tick is one
 * period of its high-resolution alarm too, so locally it reacts in 2 ticks where target
 * tracking needs 3, and steps in proportion to the excess as on AWS. A step policy whose alarm
 * fires under its threshold on busy slots (the burst path's scale-in) joins it too, one tick
 * per minute of that alarm; with it, the tracking policy's DisableScaleIn is honoured.
 * What the template declares is where they start: a PutScalingPolicy to the local Application
 * Auto Scaling (setConfiguration) and a PutMetricAlarm of the burst alarm to the local
 * CloudWatch ('configured') change the target, cooldowns, burst steps and burst threshold the
 * scaler uses from its next tick, as the target updater's puts do on AWS.
 * Scheduled actions and predictive scaling (it needs 24 hours of history) are not run locally.
 */
import { EventEmitter } from 'node:events';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { StackResolver } from '../intrinsics';
import type { StackEcs } from '../stack-ecs';
import { fromAwsSteps } from '../../../lib/queue-services/burst-math';
import type { LocalAlarms } from '../../emulators/cloudwatch/alarms';
import { parseBusySlotsExpression } from '../../../lib/queue-services/busy-slots';
import { type BurstScaleInSettings, type BurstStepSettings, LocalAutoscaler, type ScalingDecision } from './autoscaler';
import { sqsBacklog } from './sqs-backlog';

export interface ServiceScaler {
  policyName: string;
  cluster: string;
  serviceName: string;
  queueUrl: string;
  autoscaler: LocalAutoscaler;
  /** Application Auto Scaling's resource id: service/<cluster>/<service>. */
  resourceId: string;
  /** The policy's TargetTrackingScalingPolicyConfiguration in force (the template's, then as put). */
  configuration: Record<string, unknown>;
  target(): number;
  /** A new target value alone (a scenario's own updater). */
  setTarget(value: number): void;
  /** A whole new TargetTrackingScalingPolicyConfiguration (PutScalingPolicy): target and cooldowns. */
  setConfiguration(configuration: Record<string, unknown>): void;
  /** The service's burst path: its scale-out step policy and the alarm that invokes it. */
  burst?: BurstPathScaler;
}

export interface BurstPathScaler {
  policyName: string;
  alarmName: string;
  alarmArn: string;
  /** The StepScalingPolicyConfiguration in force. */
  configuration(): Record<string, unknown>;
  /** A whole new StepScalingPolicyConfiguration (PutScalingPolicy): steps, cooldown, minimum magnitude. */
  setConfiguration(configuration: Record<string, unknown>): void;
}

export interface StackAutoscaling {
  scalers: ServiceScaler[];
  events: EventEmitter<{ decision: [ScalingDecision & { serviceName: string }]; error: [{ serviceName: string; error: string }] }>;
  stop(): void;
}

interface MetricStat {
  Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Array<{ Name: string; Value: string }> };
}

const SECONDS_PER_TICK = 60;

/**
 * The scalers of the template's backlog-per-task policies. `tickMs` > 0 ticks each on a
 * timer; 0 leaves the ticking to the caller (a scenario that compresses time).
 */
export function startAutoscalingForStack(options: {
  resolver: StackResolver;
  ecs: StackEcs;
  sqs: SQSClient;
  queueUrlByName: (name: string) => string | undefined;
  tickMs: number;
  log: (line: string) => void;
  /** The local CloudWatch's alarms: a burst alarm put there moves its scaler's threshold. */
  alarms?: LocalAlarms;
}): StackAutoscaling {
  const { resolver, ecs } = options;
  const events: StackAutoscaling['events'] = new EventEmitter();
  const scalers: ServiceScaler[] = [];
  const bursts = stepPolicies(resolver, options.log);
  const unsubscribes: Array<() => void> = [];
  for (const [id, resource] of resolver.resources('AWS::ApplicationAutoScaling::ScalingPolicy')) {
    const policyType = (resource.Properties as { PolicyType?: string } | undefined)?.PolicyType;
    if (policyType === 'StepScaling') continue;
    if (policyType === 'PredictiveScaling') {
      options.log(`local autoscaling: predictive policy ${id} left out: a forecast needs 24 hours of history`);
      continue;
    }
    const raw = resource.Properties as { ScalingTargetId?: { Ref?: string } } | undefined;
    const p = resolver.resolve(resource.Properties ?? {}, id) as {
      PolicyName: string;
      PolicyType?: string;
      TargetTrackingScalingPolicyConfiguration?: {
        TargetValue: number;
        ScaleInCooldown?: number;
        ScaleOutCooldown?: number;
        DisableScaleIn?: boolean;
        CustomizedMetricSpecification?: { Metrics?: Array<{ MetricStat?: MetricStat }> };
      };
    };
    const tracking = p.TargetTrackingScalingPolicyConfiguration;
    const visible = tracking?.CustomizedMetricSpecification?.Metrics?.find(
      (m) => m.MetricStat?.Metric?.Namespace === 'AWS/SQS' && m.MetricStat.Metric.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    const queueName = visible?.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'QueueName')?.Value;
    const targetId = raw?.ScalingTargetId?.Ref;
    const target = targetId ? resolver.template.Resources[targetId] : undefined;
    if (p.PolicyType !== 'TargetTrackingScaling' || !tracking || !queueName || !target || !targetId) {
      options.log(`local autoscaling: policy ${id} left out: only target tracking on an SQS queue's visible messages per task is emulated`);
      continue;
    }
    const t = resolver.resolve(target.Properties ?? {}, targetId) as { ResourceId: string; MinCapacity: number; MaxCapacity: number };
    const [, cluster, serviceName] = t.ResourceId.split('/');
    const service = cluster && serviceName ? ecs.services.find(cluster, serviceName) : undefined;
    const queueUrl = options.queueUrlByName(queueName);
    if (!service || !queueUrl) {
      options.log(
        `local autoscaling: policy ${id} left out: ${!service ? `service ${t.ResourceId} is not running locally` : `queue ${queueName} is not in the stack`}`,
      );
      continue;
    }
    let targetValue = tracking.TargetValue;
    let configuration = tracking as unknown as Record<string, unknown>;
    const burst = bursts.get(targetId)?.out;
    const autoscaler = new LocalAutoscaler(
      sqsBacklog(options.sqs, queueUrl),
      {
        running: () => ecs.services.tasksOf(service).filter((task) => task.lastStatus === 'RUNNING').length,
        setDesired: async (count) => {
          if (count !== service.desiredCount)
            ecs.services.update({ cluster: service.clusterArn, service: service.serviceName, desiredCount: count });
        },
      },
      {
        minTasks: t.MinCapacity,
        maxTasks: t.MaxCapacity,
        target: () => targetValue,
        scaleOutEvaluations: 3,
        scaleInEvaluations: 15,
        scaleOutCooldownTicks: Math.ceil((tracking.ScaleOutCooldown ?? 300) / SECONDS_PER_TICK),
        scaleInCooldownTicks: Math.ceil((tracking.ScaleInCooldown ?? 300) / SECONDS_PER_TICK),
        ...(burst ? { burst: burst.settings } : {}),
        ...(bursts.get(targetId)?.in ? { scaleIn: bursts.get(targetId)!.in! } : {}),
        ...(tracking.DisableScaleIn ? { disableScaleIn: true } : {}),
      },
    );
    if (options.tickMs > 0) {
      autoscaler.start(
        options.tickMs,
        (decision) => events.emit('decision', { ...decision, serviceName: service.serviceName }),
        (error) =>
          events.emit('error', { serviceName: service.serviceName, error: error instanceof Error ? error.message : String(error) }),
      );
    }
    scalers.push({
      policyName: p.PolicyName,
      cluster: service.clusterArn,
      serviceName: service.serviceName,
      queueUrl,
      autoscaler,
      resourceId: t.ResourceId,
      get configuration() {
        return { ...configuration, TargetValue: targetValue };
      },
      target: () => targetValue,
      setTarget: (value) => {
        targetValue = value;
      },
      setConfiguration: (next) => {
        const put = next as { TargetValue: number; ScaleInCooldown?: number; ScaleOutCooldown?: number; DisableScaleIn?: boolean };
        configuration = next;
        targetValue = put.TargetValue;
        autoscaler.settings.scaleOutCooldownTicks = Math.ceil((put.ScaleOutCooldown ?? 300) / SECONDS_PER_TICK);
        autoscaler.settings.scaleInCooldownTicks = Math.ceil((put.ScaleInCooldown ?? 300) / SECONDS_PER_TICK);
        autoscaler.settings.disableScaleIn = put.DisableScaleIn === true;
      },
      ...(burst ? { burst: burstPathScaler(burst, options.alarms, unsubscribes) } : {}),
    });
  }
  return {
    scalers,
    events,
    stop: () => {
      scalers.forEach((s) => s.autoscaler.stop());
      unsubscribes.forEach((unsubscribe) => unsubscribe());
    },
  };
}

/** The burst path of one scaler: its step policy's configuration as put, its alarm's threshold as put. */
function burstPathScaler(burst: BurstPolicy, alarms: LocalAlarms | undefined, unsubscribes: Array<() => void>): BurstPathScaler {
  let configuration = burst.configuration;
  const onConfigured = (alarm: { alarmName: string; threshold: number }) => {
    if (alarm.alarmName === burst.alarmName) burst.settings.threshold = alarm.threshold;
  };
  if (alarms) {
    alarms.on('configured', onConfigured);
    unsubscribes.push(() => alarms.off('configured', onConfigured));
  }
  return {
    policyName: burst.policyName,
    alarmName: burst.alarmName,
    alarmArn: burst.alarmArn,
    configuration: () => configuration,
    setConfiguration: (next) => {
      const put = next as StepPolicyProperties['StepScalingPolicyConfiguration'] & object;
      configuration = next;
      burst.settings.steps = fromAwsSteps(put.StepAdjustments ?? []);
      burst.settings.cooldownTicks = Math.ceil((put.Cooldown ?? 300) / burst.periodSeconds);
      burst.settings.minAdjustmentMagnitude = put.MinAdjustmentMagnitude ?? 1;
    },
  };
}

/** The burst path's scale-out policy: what the puts address, and what the autoscaler steps with. */
interface BurstPolicy {
  policyName: string;
  alarmName: string;
  alarmArn: string;
  periodSeconds: number;
  /** The StepScalingPolicyConfiguration as the template declares it. */
  configuration: Record<string, unknown>;
  /** What the autoscaler steps with (changed in place by the puts). */
  settings: BurstStepSettings;
}

interface StepPolicyProperties {
  PolicyType?: string;
  StepScalingPolicyConfiguration?: {
    AdjustmentType?: string;
    Cooldown?: number;
    MinAdjustmentMagnitude?: number;
    StepAdjustments?: Array<{ MetricIntervalLowerBound?: number; MetricIntervalUpperBound?: number; ScalingAdjustment: number }>;
  };
}

/**
 * The step scaling policies of the template with the alarm that invokes each (the alarm whose
 * AlarmActions refer to it), by the scalable target they scale: a GreaterThanThreshold alarm's
 * policy scales out (the burst path), a LessThanThreshold alarm on busy slots scales in (its
 * scale-in).
 */
function stepPolicies(resolver: StackResolver, log: (line: string) => void): Map<string, { out?: BurstPolicy; in?: BurstScaleInSettings }> {
  const alarms = resolver.resources('AWS::CloudWatch::Alarm');
  const found = new Map<string, { out?: BurstPolicy; in?: BurstScaleInSettings }>();
  for (const [id, resource] of resolver.resources('AWS::ApplicationAutoScaling::ScalingPolicy')) {
    const raw = resource.Properties as (StepPolicyProperties & { ScalingTargetId?: { Ref?: string } }) | undefined;
    const config = raw?.StepScalingPolicyConfiguration;
    if (raw?.PolicyType !== 'StepScaling' || !config) continue;
    const targetId = raw.ScalingTargetId?.Ref;
    const alarm = alarms.find(([, a]) =>
      ((a.Properties as { AlarmActions?: unknown[] } | undefined)?.AlarmActions ?? []).some(
        (action) => (action as { Ref?: string }).Ref === id,
      ),
    );
    if (!targetId || !alarm || config.AdjustmentType !== 'PercentChangeInCapacity') {
      log(
        `local autoscaling: step policy ${id} left out: only PercentChangeInCapacity steps invoked by an alarm of the stack are emulated`,
      );
      continue;
    }
    const a = alarm[1].Properties as {
      Threshold: number;
      DatapointsToAlarm?: number;
      EvaluationPeriods: number;
      ComparisonOperator?: string;
      Metrics?: Array<{ Expression?: string; ReturnData?: boolean }>;
      AlarmName?: string;
    };
    const steps = fromAwsSteps(config.StepAdjustments ?? []);
    const periodSeconds = burstPeriod(alarm[1].Properties);
    const entry = found.get(targetId) ?? {};
    found.set(targetId, entry);
    if (a.ComparisonOperator === 'LessThanThreshold') {
      const expression = a.Metrics?.find((m) => m.ReturnData && m.Expression)?.Expression;
      const busy = expression ? parseBusySlotsExpression(expression) : undefined;
      if (!busy) {
        log(`local autoscaling: step policy ${id} left out: only a scale-in on busy slots (the burst path's) is emulated`);
        continue;
      }
      entry.in = {
        threshold: a.Threshold,
        datapoints: a.DatapointsToAlarm ?? a.EvaluationPeriods,
        steps,
        // One tick is one minute of this alarm (Period 60).
        cooldownTicks: Math.ceil((config.Cooldown ?? 300) / periodSeconds),
        concurrency: busy.concurrency,
      };
      continue;
    }
    const { region, accountId } = resolver.context;
    const alarmName = a.AlarmName ?? resolver.physicalOf(alarm[0]).ref;
    const policy = resolver.resolve(resource.Properties ?? {}, id) as { PolicyName: string; StepScalingPolicyConfiguration: object };
    entry.out = {
      policyName: policy.PolicyName,
      alarmName,
      alarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarmName}`,
      periodSeconds,
      configuration: policy.StepScalingPolicyConfiguration as Record<string, unknown>,
      settings: {
        threshold: a.Threshold,
        datapoints: a.DatapointsToAlarm ?? a.EvaluationPeriods,
        steps,
        // One tick is one alarm period of this policy.
        cooldownTicks: Math.ceil((config.Cooldown ?? 300) / periodSeconds),
        minAdjustmentMagnitude: config.MinAdjustmentMagnitude ?? 1,
      },
    };
  }
  return found;
}

const burstPeriod = (properties: unknown): number => {
  const metrics = (properties as { Metrics?: Array<{ MetricStat?: { Period?: number } }> } | undefined)?.Metrics ?? [];
  return metrics.find((m) => m.MetricStat?.Period)?.MetricStat?.Period ?? 60;
};
