/**
 * Application Auto Scaling's API for the local cloud's scaling policies (AWS JSON 1.1,
 * `X-Amz-Target: AnyScaleFrontendService.<Op>`): DescribeScalingPolicies and PutScalingPolicy
 * of target tracking and step scaling policies, so the hourly target updater runs locally as on
 * AWS and its new target, and its burst steps, reach the local autoscaler.
 *
 * PutScalingPolicy updates a policy of the template (creating policies is CloudFormation's
 * job): its type stays, and the configuration put replaces the one in force. Step adjustments
 * are checked as Application Auto Scaling documents them (step scaling policies, "Step
 * adjustments"): ranges neither overlap nor leave a gap, at most one has no lower bound and one
 * no upper bound, none has neither, a negative lower bound needs a step with no lower bound and
 * a positive upper bound one with no upper bound.
 */
import * as z from 'zod';
import { AwsApiError, type Operation, requestParser } from '../aws-json-server';

export const AUTOSCALING_TARGET_PREFIX = 'AnyScaleFrontendService';

export type PolicyType = 'TargetTrackingScaling' | 'StepScaling';

export interface LocalScalingPolicy {
  policyArn: string;
  policyName: string;
  serviceNamespace: string;
  resourceId: string;
  scalableDimension: string;
  policyType: PolicyType;
  /**
   * TargetTrackingScalingPolicyConfiguration (with the current TargetValue) or
   * StepScalingPolicyConfiguration (with the current StepAdjustments), as in force.
   */
  configuration: Record<string, unknown>;
  /** The alarms that invoke it (a step policy's), as DescribeScalingPolicies lists them. */
  alarms: Array<{ AlarmName: string; AlarmARN: string }>;
  createdAt: Date;
}

export interface ScalingPolicies {
  list(): LocalScalingPolicy[];
  /** Applies a new configuration (what PutScalingPolicy changes locally). */
  put(policy: LocalScalingPolicy, configuration: Record<string, unknown>): void;
}

const Describe = z.object({
  ServiceNamespace: z.string().min(1),
  ResourceId: z.string().optional(),
  ScalableDimension: z.string().optional(),
  PolicyNames: z.array(z.string()).optional(),
  MaxResults: z.number().optional(),
  NextToken: z.string().optional(),
});
const StepAdjustment = z.strictObject({
  MetricIntervalLowerBound: z.number().optional(),
  MetricIntervalUpperBound: z.number().optional(),
  ScalingAdjustment: z.number().int(),
});
const Put = z.discriminatedUnion(
  'PolicyType',
  [
    z.object({
      PolicyType: z.literal('TargetTrackingScaling'),
      TargetTrackingScalingPolicyConfiguration: z.looseObject({ TargetValue: z.number().positive() }),
    }),
    z.object({
      PolicyType: z.literal('StepScaling'),
      StepScalingPolicyConfiguration: z.looseObject({
        AdjustmentType: z.enum(['ChangeInCapacity', 'PercentChangeInCapacity', 'ExactCapacity']),
        StepAdjustments: z.array(StepAdjustment).min(1),
        Cooldown: z.number().int().min(0).optional(),
        MetricAggregationType: z.enum(['Average', 'Minimum', 'Maximum']).optional(),
        MinAdjustmentMagnitude: z.number().int().min(1).optional(),
      }),
    }),
  ],
  { message: 'PolicyType must be TargetTrackingScaling or StepScaling locally (predictive policies are not updated locally)' },
);
const Target = z.object({
  PolicyName: z.string().min(1),
  ServiceNamespace: z.string().min(1),
  ResourceId: z.string().min(1),
  ScalableDimension: z.string().min(1),
});

const parse = requestParser('ValidationException');

type Step = z.infer<typeof StepAdjustment>;

/** Why a list of step adjustments is not one Application Auto Scaling accepts (undefined: it is). */
export function stepAdjustmentsProblem(steps: Step[]): string | undefined {
  const lower = (s: Step) => s.MetricIntervalLowerBound ?? Number.NEGATIVE_INFINITY;
  const upper = (s: Step) => s.MetricIntervalUpperBound ?? Number.POSITIVE_INFINITY;
  if (steps.some((s) => s.MetricIntervalLowerBound === undefined && s.MetricIntervalUpperBound === undefined))
    return 'a step adjustment must have a lower or an upper bound';
  if (steps.filter((s) => s.MetricIntervalLowerBound === undefined).length > 1) return 'only one step adjustment may have no lower bound';
  if (steps.filter((s) => s.MetricIntervalUpperBound === undefined).length > 1) return 'only one step adjustment may have no upper bound';
  if (steps.some((s) => lower(s) >= upper(s))) return 'each step adjustment needs its lower bound below its upper bound';
  if (steps.some((s) => (s.MetricIntervalLowerBound ?? 0) < 0) && !steps.some((s) => s.MetricIntervalLowerBound === undefined))
    return 'a negative lower bound needs a step adjustment with no lower bound';
  if (steps.some((s) => (s.MetricIntervalUpperBound ?? 0) > 0) && !steps.some((s) => s.MetricIntervalUpperBound === undefined))
    return 'a positive upper bound needs a step adjustment with no upper bound';
  const sorted = [...steps].sort((a, b) => lower(a) - lower(b));
  for (let i = 1; i < sorted.length; i += 1) {
    if (upper(sorted[i - 1]!) !== lower(sorted[i]!)) return 'step adjustment ranges must neither overlap nor leave a gap';
  }
  return undefined;
}

const wire = (p: LocalScalingPolicy) => ({
  PolicyARN: p.policyArn,
  PolicyName: p.policyName,
  ServiceNamespace: p.serviceNamespace,
  ResourceId: p.resourceId,
  ScalableDimension: p.scalableDimension,
  PolicyType: p.policyType,
  ...(p.policyType === 'StepScaling'
    ? { StepScalingPolicyConfiguration: p.configuration }
    : { TargetTrackingScalingPolicyConfiguration: p.configuration }),
  Alarms: p.alarms,
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
      const target = parse(Target, input, 'PutScalingPolicy');
      const req = parse(Put, input, 'PutScalingPolicy');
      const policy = policies
        .list()
        .find(
          (p) =>
            p.policyName === target.PolicyName && p.resourceId === target.ResourceId && p.scalableDimension === target.ScalableDimension,
        );
      // Creating policies is CloudFormation's job: locally only the template's policies exist.
      if (!policy)
        throw new AwsApiError(
          'ObjectNotFoundException',
          `No scaling policy ${target.PolicyName} on ${target.ResourceId} in the local cloud (its policies come from the template)`,
        );
      if (policy.policyType !== req.PolicyType)
        throw new AwsApiError(
          'ValidationException',
          `Scaling policy ${policy.policyName} is ${policy.policyType}; the local cloud does not change a policy's type`,
        );
      if (req.PolicyType === 'StepScaling') {
        const problem = stepAdjustmentsProblem(req.StepScalingPolicyConfiguration.StepAdjustments);
        if (problem) throw new AwsApiError('ValidationException', `PutScalingPolicy: ${problem}`);
        policies.put(policy, req.StepScalingPolicyConfiguration);
        return { PolicyARN: policy.policyArn };
      }
      policies.put(policy, req.TargetTrackingScalingPolicyConfiguration);
      return { PolicyARN: policy.policyArn, Alarms: [] };
    },
  };
}
