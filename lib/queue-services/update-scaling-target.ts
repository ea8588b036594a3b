/**
 * Re-tunes the target of one queue service's backlog-per-task policy.
 *
 * Primary course:
 * 1. Build the resource id of this stack's own service (`service/<cluster>/<service>`).
 * 2. Read the policy's current configuration (it must exist and belong to that resource).
 * 3. Read total processing duration and message count over the last window (one hour).
 * 4. Decide: no data → keep; a move within the tolerance → keep; otherwise put the policy
 *    back with only TargetValue changed.
 * 5. With a burst path, keep it in proportion to the target now in force (the new one, or the
 *    kept one): the alarm's Threshold = thresholdFactor × target, and the step policy's
 *    StepAdjustments rebuilt on that threshold (their bounds are offsets from it). Each is put
 *    back whole with only that field changed, and only when it differs, so a run that moves
 *    nothing writes nothing, and a run after a failed one repairs what that one left undone.
 *
 * Every read comes before the first write: a missing alarm or policy fails with nothing
 * changed. A write that fails stops the run with a PartialScalingUpdateError naming what was
 * applied before it, what failed and what was not attempted; the handler fails with it.
 */
import { ecsServiceResourceId } from '../contracts/metric-names';
import { burstStepAdjustments, burstThreshold, sameSteps, type StepAdjustment } from './burst-math';
import { decideTarget, type TargetDecision, type TargetSettings, type WindowStats } from './target-math';

export class ScalingPolicyNotFoundError extends Error {
  override readonly name = 'ScalingPolicyNotFoundError';
}

export class ForeignScalingPolicyError extends Error {
  override readonly name = 'ForeignScalingPolicyError';
}

/** A target tracking policy as the updater needs it; `configuration` is passed back untouched. */
export interface TargetTrackingPolicy {
  policyName: string;
  resourceId: string;
  targetValue: number;
  /** The full TargetTrackingScalingPolicyConfiguration, opaque to the use case. */
  configuration: object;
}

export class BurstAlarmNotFoundError extends Error {
  override readonly name = 'BurstAlarmNotFoundError';
}

/** A step scaling policy as the updater needs it; `configuration` is passed back with new steps only. */
export interface StepScalingPolicy {
  policyName: string;
  resourceId: string;
  steps: StepAdjustment[];
  /** The full StepScalingPolicyConfiguration, opaque to the use case. */
  configuration: object;
}

export interface ScalingPolicies {
  describe(resourceId: string, policyName: string): Promise<TargetTrackingPolicy | undefined>;
  putTarget(policy: TargetTrackingPolicy, targetValue: number): Promise<void>;
  describeStep(resourceId: string, policyName: string): Promise<StepScalingPolicy | undefined>;
  putSteps(policy: StepScalingPolicy, steps: StepAdjustment[]): Promise<void>;
}

/** A metric alarm as the updater needs it; `definition` is put back with a new Threshold only. */
export interface MetricAlarm {
  alarmName: string;
  threshold: number;
  /** Everything DescribeAlarms returned about it, opaque to the use case. */
  definition: object;
}

export interface MetricAlarms {
  describe(alarmName: string): Promise<MetricAlarm | undefined>;
  putThreshold(alarm: MetricAlarm, threshold: number): Promise<void>;
}

/** The parts of a queue service's scaling an update writes, in the order it writes them. */
export type ScalingPart = 'target' | 'burst-alarm-threshold' | 'burst-steps';

/** A run that changed some parts and failed on the next: what is in force now, exactly. */
export class PartialScalingUpdateError extends Error {
  override readonly name = 'PartialScalingUpdateError';
  constructor(
    readonly queueService: string,
    readonly applied: ScalingPart[],
    readonly failed: ScalingPart,
    readonly notAttempted: ScalingPart[],
    cause: unknown,
  ) {
    super(
      `queue service "${queueService}": ${failed} update failed (${cause instanceof Error ? cause.message : String(cause)}); ` +
        `applied before it: ${applied.length ? applied.join(', ') : 'nothing'}; not attempted: ${notAttempted.length ? notAttempted.join(', ') : 'nothing'}. ` +
        'The next run puts whatever still differs from the target in force.',
      { cause },
    );
  }
}

export interface ProcessingStats {
  /** Totals of the processing-duration metric of `dimension` between `from` and `to`. */
  window(dimension: string, from: Date, to: Date): Promise<WindowStats>;
}

export interface UpdateScalingTargetInput {
  queueService: string;
  cluster: string;
  serviceName: string;
  policyName: string;
  /** The metric dimension value the worker tags its durations with. */
  metricDimension: string;
  settings: TargetSettings;
  windowSeconds?: number;
  /** The service's burst path, when it has one: its alarm and step policy and how they follow the target. */
  burst?: BurstPath;
}

export interface BurstPath {
  alarmName: string;
  policyName: string;
  thresholdFactor: number;
  maxStepPercent: number;
}

export interface UpdateScalingTargetDeps {
  policies: ScalingPolicies;
  alarms: MetricAlarms;
  stats: ProcessingStats;
  clock: () => Date;
}

export interface BurstOutcome {
  /** Threshold before the run and the one now in force. */
  previousThreshold: number;
  threshold: number;
  steps: StepAdjustment[];
}

export type UpdateScalingTargetResult = TargetDecision & {
  queueService: string;
  resourceId: string;
  stats: WindowStats;
  /** What this run wrote, in order (empty: nothing moved). */
  applied: ScalingPart[];
  burst?: BurstOutcome;
};

export async function updateScalingTarget(
  input: UpdateScalingTargetInput,
  { policies, alarms, stats, clock }: UpdateScalingTargetDeps,
): Promise<UpdateScalingTargetResult> {
  const resourceId = ecsServiceResourceId(input.cluster, input.serviceName);
  const policy = await policies.describe(resourceId, input.policyName);
  if (!policy) {
    throw new ScalingPolicyNotFoundError(
      `no target tracking policy "${input.policyName}" on ${resourceId} (queue service "${input.queueService}")`,
    );
  }
  // Never touch a policy of another service, whatever the API returned.
  if (policy.resourceId !== resourceId) {
    throw new ForeignScalingPolicyError(`policy "${policy.policyName}" belongs to ${policy.resourceId}, not to ${resourceId}`);
  }
  const burst = input.burst ? await readBurstPath(input.queueService, resourceId, input.burst, { policies, alarms }) : undefined;
  const to = clock();
  const from = new Date(to.getTime() - (input.windowSeconds ?? 3600) * 1000);
  const totals = await stats.window(input.metricDimension, from, to);
  const decision = decideTarget(policy.targetValue, totals, input.settings);
  const target = decision.action === 'update' ? decision.proposed : policy.targetValue;

  const writes: Array<{ part: ScalingPart; put: () => Promise<void> }> = [];
  if (decision.action === 'update') writes.push({ part: 'target', put: () => policies.putTarget(policy, decision.proposed) });
  let outcome: BurstOutcome | undefined;
  if (burst && input.burst) {
    const threshold = burstThreshold(input.burst.thresholdFactor, target);
    const steps = burstStepAdjustments(threshold, input.burst.maxStepPercent);
    outcome = { previousThreshold: burst.alarm.threshold, threshold, steps };
    if (burst.alarm.threshold !== threshold)
      writes.push({ part: 'burst-alarm-threshold', put: () => alarms.putThreshold(burst.alarm, threshold) });
    if (!sameSteps(burst.policy.steps, steps)) writes.push({ part: 'burst-steps', put: () => policies.putSteps(burst.policy, steps) });
  }
  const applied: ScalingPart[] = [];
  for (const [index, write] of writes.entries()) {
    try {
      await write.put();
    } catch (error) {
      throw new PartialScalingUpdateError(
        input.queueService,
        applied,
        write.part,
        writes.slice(index + 1).map((w) => w.part),
        error,
      );
    }
    applied.push(write.part);
  }
  return { ...decision, queueService: input.queueService, resourceId, stats: totals, applied, ...(outcome ? { burst: outcome } : {}) };
}

/** The burst path's alarm and step policy, both required to exist, the policy on this service. */
async function readBurstPath(
  queueService: string,
  resourceId: string,
  burst: BurstPath,
  { policies, alarms }: Pick<UpdateScalingTargetDeps, 'policies' | 'alarms'>,
): Promise<{ alarm: MetricAlarm; policy: StepScalingPolicy }> {
  const policy = await policies.describeStep(resourceId, burst.policyName);
  if (!policy) {
    throw new ScalingPolicyNotFoundError(`no step scaling policy "${burst.policyName}" on ${resourceId} (queue service "${queueService}")`);
  }
  if (policy.resourceId !== resourceId) {
    throw new ForeignScalingPolicyError(`policy "${policy.policyName}" belongs to ${policy.resourceId}, not to ${resourceId}`);
  }
  const alarm = await alarms.describe(burst.alarmName);
  if (!alarm) throw new BurstAlarmNotFoundError(`no metric alarm "${burst.alarmName}" (burst path of queue service "${queueService}")`);
  return { alarm, policy };
}
