/**
 * Application Auto Scaling's API for the local cloud's scaling policies (AWS JSON 1.1,
 * `X-Amz-Target: AnyScaleFrontendService.<Op>`): DescribeScalingPolicies and PutScalingPolicy
 * of target tracking policies, so the hourly target updater runs locally as on AWS and its
 * new target reaches the local autoscaler.
 */
import * as z from 'zod';
import { AwsApiError, type Operation, requestParser } from '../aws-json-server';

export const AUTOSCALING_TARGET_PREFIX = 'AnyScaleFrontendService';

export interface LocalScalingPolicy {
  policyArn: string;
  policyName: string;
  serviceNamespace: string;
  resourceId: string;
  scalableDimension: string;
  /** TargetTrackingScalingPolicyConfiguration as the template declares it, with the current target. */
  configuration: Record<string, unknown> & { TargetValue: number };
  createdAt: Date;
}

export interface ScalingPolicies {
  list(): LocalScalingPolicy[];
  /** Applies a new target value (what PutScalingPolicy changes locally). */
  setTarget(policy: LocalScalingPolicy, targetValue: number): void;
}

const Describe = z.object({
  ServiceNamespace: z.string().min(1),
  ResourceId: z.string().optional(),
  ScalableDimension: z.string().optional(),
  PolicyNames: z.array(z.string()).optional(),
  MaxResults: z.number().optional(),
  NextToken: z.string().optional(),
});
const Put = z.object({
  PolicyName: z.string().min(1),
  ServiceNamespace: z.string().min(1),
  ResourceId: z.string().min(1),
  ScalableDimension: z.string().min(1),
  PolicyType: z.literal('TargetTrackingScaling', { message: 'the local Application Auto Scaling updates target tracking policies only' }),
  TargetTrackingScalingPolicyConfiguration: z.looseObject({ TargetValue: z.number().positive() }),
});

const parse = requestParser('ValidationException');

const wire = (p: LocalScalingPolicy) => ({
  PolicyARN: p.policyArn,
  PolicyName: p.policyName,
  ServiceNamespace: p.serviceNamespace,
  ResourceId: p.resourceId,
  ScalableDimension: p.scalableDimension,
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingScalingPolicyConfiguration: p.configuration,
  Alarms: [],
  CreationTime: p.createdAt.getTime() / 1000,
});

export function autoScalingOperations(policies: ScalingPolicies): Record<string, Operation> {
  return {
    DescribeScalingPolicies: (input) => {
      const req = parse(Describe, input, 'DescribeScalingPolicies');
      const found = policies
        .list()
        .filter((p) => p.serviceNamespace === req.ServiceNamespace)
        .filter((p) => (req.ResourceId ? p.resourceId === req.ResourceId : true))
        .filter((p) => (req.ScalableDimension ? p.scalableDimension === req.ScalableDimension : true))
        .filter((p) => (req.PolicyNames ? req.PolicyNames.includes(p.policyName) : true));
      return { ScalingPolicies: found.map(wire) };
    },
    PutScalingPolicy: (input) => {
      const req = parse(Put, input, 'PutScalingPolicy');
      const policy = policies
        .list()
        .find((p) => p.policyName === req.PolicyName && p.resourceId === req.ResourceId && p.scalableDimension === req.ScalableDimension);
      // Creating policies is CloudFormation's job: locally only the template's policies exist.
      if (!policy)
        throw new AwsApiError(
          'ObjectNotFoundException',
          `No scaling policy ${req.PolicyName} on ${req.ResourceId} in the local cloud (its policies come from the template)`,
        );
      policy.configuration = {
        ...req.TargetTrackingScalingPolicyConfiguration,
        TargetValue: req.TargetTrackingScalingPolicyConfiguration.TargetValue,
      };
      policies.setTarget(policy, req.TargetTrackingScalingPolicyConfiguration.TargetValue);
      return { PolicyARN: policy.policyArn, Alarms: [] };
    },
  };
}
