/**
 * Re-tunes the target of one queue service's backlog-per-task policy.
 *
 * Primary course:
 * 1. Build the resource id of this stack's own service (`service/<cluster>/<service>`).
 * 2. Read the policy's current configuration (it must exist and belong to that resource).
 * 3. Read total processing duration and message count over the last window (one hour).
 * 4. Decide: no data → keep; a move within the tolerance → keep; otherwise put the policy
 *    back with only TargetValue changed.
 */
import { ecsServiceResourceId } from '../contracts/metric-names';
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

export interface ScalingPolicies {
  describe(resourceId: string, policyName: string): Promise<TargetTrackingPolicy | undefined>;
  putTarget(policy: TargetTrackingPolicy, targetValue: number): Promise<void>;
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
}

export interface UpdateScalingTargetDeps {
  policies: ScalingPolicies;
  stats: ProcessingStats;
  clock: () => Date;
}

export type UpdateScalingTargetResult = TargetDecision & { queueService: string; resourceId: string; stats: WindowStats };

export async function updateScalingTarget(
  input: UpdateScalingTargetInput,
  { policies, stats, clock }: UpdateScalingTargetDeps,
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
  const to = clock();
  const from = new Date(to.getTime() - (input.windowSeconds ?? 3600) * 1000);
  const totals = await stats.window(input.metricDimension, from, to);
  const decision = decideTarget(policy.targetValue, totals, input.settings);
  if (decision.action === 'update') await policies.putTarget(policy, decision.proposed);
  return { ...decision, queueService: input.queueService, resourceId, stats: totals };
}
