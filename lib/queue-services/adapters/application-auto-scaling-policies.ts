/**
 * Scaling policies through Application Auto Scaling (DescribeScalingPolicies,
 * PutScalingPolicy), always for one ECS service's DesiredCount.
 */
import {
  type ApplicationAutoScalingClient,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import type { ScalingPolicies, TargetTrackingPolicy } from '../update-scaling-target';

const SERVICE_NAMESPACE = 'ecs';
const SCALABLE_DIMENSION = 'ecs:service:DesiredCount';

export class ScalingPolicyShapeError extends Error {
  override readonly name = 'ScalingPolicyShapeError';
}

export function applicationAutoScalingPolicies(client: ApplicationAutoScalingClient): ScalingPolicies {
  return {
    async describe(resourceId, policyName) {
      const out = await client.send(
        new DescribeScalingPoliciesCommand({
          ServiceNamespace: SERVICE_NAMESPACE,
          ResourceId: resourceId,
          ScalableDimension: SCALABLE_DIMENSION,
          PolicyNames: [policyName],
        }),
      );
      const found = (out.ScalingPolicies ?? []).find((p) => p.PolicyName === policyName);
      if (!found) return undefined;
      const configuration = found.TargetTrackingScalingPolicyConfiguration;
      if (found.PolicyType !== 'TargetTrackingScaling' || !configuration || typeof configuration.TargetValue !== 'number') {
        throw new ScalingPolicyShapeError(
          `policy "${policyName}" on ${found.ResourceId} is ${found.PolicyType ?? 'untyped'}, not a target tracking policy with a TargetValue`,
        );
      }
      return {
        policyName,
        resourceId: found.ResourceId ?? '',
        targetValue: configuration.TargetValue,
        configuration,
      } satisfies TargetTrackingPolicy;
    },
    async putTarget(policy, targetValue) {
      await client.send(
        new PutScalingPolicyCommand({
          ServiceNamespace: SERVICE_NAMESPACE,
          ScalableDimension: SCALABLE_DIMENSION,
          ResourceId: policy.resourceId,
          PolicyName: policy.policyName,
          PolicyType: 'TargetTrackingScaling',
          // The whole configuration goes back: PutScalingPolicy replaces it, so anything
          // left out (metric math, cooldowns) would be lost.
          TargetTrackingScalingPolicyConfiguration: {
            ...(policy.configuration as TargetTrackingScalingPolicyConfiguration),
            TargetValue: targetValue,
          },
        }),
      );
    },
  };
}
