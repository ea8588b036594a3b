/**
 * Scaling policies through Application Auto Scaling (DescribeScalingPolicies,
 * PutScalingPolicy), always for one ECS service's DesiredCount: target tracking policies
 * (their TargetValue) and step scaling policies (their StepAdjustments). PutScalingPolicy with
 * an existing policy's name updates that policy ("Creates or updates a scaling policy").
 */
import {
  type ApplicationAutoScalingClient,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  type ScalingPolicy,
  type StepScalingPolicyConfiguration,
  type TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import { fromAwsSteps, toAwsSteps } from '../burst-math';
import type { ScalingPolicies, StepScalingPolicy, TargetTrackingPolicy } from '../update-scaling-target';

const SERVICE_NAMESPACE = 'ecs';
const SCALABLE_DIMENSION = 'ecs:service:DesiredCount';

export class ScalingPolicyShapeError extends Error {
  override readonly name = 'ScalingPolicyShapeError';
}

export function applicationAutoScalingPolicies(client: ApplicationAutoScalingClient): ScalingPolicies {
  const find = async (resourceId: string, policyName: string): Promise<ScalingPolicy | undefined> => {
    const out = await client.send(
      new DescribeScalingPoliciesCommand({
        ServiceNamespace: SERVICE_NAMESPACE,
        ResourceId: resourceId,
        ScalableDimension: SCALABLE_DIMENSION,
        PolicyNames: [policyName],
      }),
    );
    return (out.ScalingPolicies ?? []).find((p) => p.PolicyName === policyName);
  };
  return {
    async describe(resourceId, policyName) {
      const found = await find(resourceId, policyName);
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
    async describeStep(resourceId, policyName) {
      const found = await find(resourceId, policyName);
      if (!found) return undefined;
      const configuration = found.StepScalingPolicyConfiguration;
      if (found.PolicyType !== 'StepScaling' || !configuration?.StepAdjustments?.length) {
        throw new ScalingPolicyShapeError(
          `policy "${policyName}" on ${found.ResourceId} is ${found.PolicyType ?? 'untyped'}, not a step scaling policy with StepAdjustments`,
        );
      }
      return {
        policyName,
        resourceId: found.ResourceId ?? '',
        steps: fromAwsSteps(configuration.StepAdjustments),
        configuration,
      } satisfies StepScalingPolicy;
    },
    async putSteps(policy, steps) {
      await client.send(
        new PutScalingPolicyCommand({
          ServiceNamespace: SERVICE_NAMESPACE,
          ScalableDimension: SCALABLE_DIMENSION,
          ResourceId: policy.resourceId,
          PolicyName: policy.policyName,
          PolicyType: 'StepScaling',
          // The whole configuration goes back (adjustment type, cooldown, aggregation, minimum
          // magnitude), only the steps change: their bounds are offsets from the alarm threshold.
          StepScalingPolicyConfiguration: {
            ...(policy.configuration as StepScalingPolicyConfiguration),
            StepAdjustments: toAwsSteps(steps),
          },
        }),
      );
    },
  };
}
