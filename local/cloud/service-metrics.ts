/**
 * What the local services report to CloudWatch on AWS without anyone asking: each function's
 * invocations, errors and duration (AWS/Lambda), each state machine's closed executions
 * (AWS/States), and the EMF lines functions and containers write (the stack's own metrics).
 * Also the bridge that lets Application Auto Scaling's API change the local autoscalers.
 */
import type { LocalScalingPolicy, ScalingPolicies } from '../emulators/application-auto-scaling/api';
import type { ServiceScaler, StackAutoscaling } from './autoscaling/stack-autoscaling';
import type { StackEcs } from './stack-ecs';
import type { StackMonitoring } from './stack-monitoring';
import type { StackStepFunctions } from './stack-step-functions';
import type { FunctionLogLine, FunctionRuntime, InvocationRecord } from './wiring/functions';

const CLOSED_METRIC: Record<string, string> = {
  SUCCEEDED: 'ExecutionsSucceeded',
  FAILED: 'ExecutionsFailed',
  TIMED_OUT: 'ExecutionsTimedOut',
  ABORTED: 'ExecutionsAborted',
};

/** Starts collecting; returns the function that stops it. */
export function collectServiceMetrics(options: {
  monitoring: StackMonitoring;
  functions: FunctionRuntime;
  ecs: StackEcs;
  stepFunctions: StackStepFunctions;
}): () => Promise<void> {
  const { monitoring, functions, ecs, stepFunctions } = options;
  const nameOf = (logicalId: string) => functions.functions.get(logicalId)?.spec.name ?? logicalId;
  const onLog = (line: FunctionLogLine) => monitoring.ingestLog(line.line, `function ${line.function}`);
  const onResult = (record: InvocationRecord) => {
    const base = {
      namespace: 'AWS/Lambda',
      dimensions: { FunctionName: nameOf(record.function) },
      timestamp: record.startedAt + record.durationMs,
      source: 'Lambda',
    };
    monitoring.metrics.put({ ...base, metricName: 'Invocations', value: 1, unit: 'Count' });
    monitoring.metrics.put({ ...base, metricName: 'Errors', value: record.error ? 1 : 0, unit: 'Count' });
    monitoring.metrics.put({ ...base, metricName: 'Duration', value: record.durationMs, unit: 'Milliseconds' });
  };
  const onTaskLog = (line: { taskArn: string; line: string }) => monitoring.ingestLog(line.line, `task ${line.taskArn.split('/').at(-1)}`);
  const onClosed = (record: { stateMachineArn: string; status: string; stopDate?: Date }) => {
    const metricName = CLOSED_METRIC[record.status];
    if (!metricName) return;
    monitoring.metrics.put({
      namespace: 'AWS/States',
      metricName,
      dimensions: { StateMachineArn: record.stateMachineArn },
      timestamp: (record.stopDate ?? new Date()).getTime(),
      value: 1,
      unit: 'Count',
      source: 'Step Functions',
    });
  };
  functions.events.on('log', onLog);
  functions.events.on('result', onResult);
  ecs.events.on('log', onTaskLog);
  stepFunctions.events.on('executionClosed', onClosed);
  return async () => {
    functions.events.off('log', onLog);
    functions.events.off('result', onResult);
    ecs.events.off('log', onTaskLog);
    stepFunctions.events.off('executionClosed', onClosed);
  };
}

/**
 * The template's target tracking policies, and the step policies of their services' burst
 * paths, as Application Auto Scaling describes them, backed by the local autoscalers: what
 * PutScalingPolicy puts is what they scale with from their next tick.
 */
export function scalingPoliciesOf(autoscaling: StackAutoscaling, region: string, accountId: string): ScalingPolicies {
  const createdAt = new Date();
  const arnOf = (resourceId: string, policyName: string) =>
    `arn:aws:autoscaling:${region}:${accountId}:scalingPolicy:local:resource/ecs/${resourceId}:policyName/${policyName}`;
  const policyOf = (scaler: ServiceScaler): LocalScalingPolicy[] => [
    {
      policyArn: arnOf(scaler.resourceId, scaler.policyName),
      policyName: scaler.policyName,
      serviceNamespace: 'ecs',
      resourceId: scaler.resourceId,
      scalableDimension: 'ecs:service:DesiredCount',
      policyType: 'TargetTrackingScaling',
      configuration: { ...scaler.configuration, TargetValue: scaler.target() },
      alarms: [],
      createdAt,
    },
    ...(scaler.burst
      ? [
          {
            policyArn: arnOf(scaler.resourceId, scaler.burst.policyName),
            policyName: scaler.burst.policyName,
            serviceNamespace: 'ecs',
            resourceId: scaler.resourceId,
            scalableDimension: 'ecs:service:DesiredCount',
            policyType: 'StepScaling' as const,
            configuration: scaler.burst.configuration(),
            alarms: [{ AlarmName: scaler.burst.alarmName, AlarmARN: scaler.burst.alarmArn }],
            createdAt,
          },
        ]
      : []),
  ];
  const scalerOf = (policy: LocalScalingPolicy) => autoscaling.scalers.find((s) => s.resourceId === policy.resourceId);
  return {
    list: () => autoscaling.scalers.flatMap(policyOf),
    put: (policy, configuration) => {
      const scaler = scalerOf(policy);
      if (policy.policyType === 'StepScaling') scaler?.burst?.setConfiguration(configuration);
      else scaler?.setConfiguration(configuration);
    },
  };
}
