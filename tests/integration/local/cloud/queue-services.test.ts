/**
 * The queue services on the local cloud, from the packaged template: the ECS service runs the
 * sample worker (containers.yml) against the stack's queue, messages the produceMessages
 * function sends are processed, the backlog-per-task policy (its target, capacity and
 * cooldowns) scales the service out when ticked, the burst path steps it out, and its scale-in
 * on busy slots gives the tasks back once the queue is idle.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ApplicationAutoScalingClient, DescribeScalingPoliciesCommand, type ScalingPolicy } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from '../../../../local/cloud/aws';
import { toAwsSteps } from '../../../../lib/queue-services/burst-math';
import { burstStepAdjustments, burstThreshold } from '../../../../lib/queue-services/burst-math';
import { parseDeployedQueueServices } from '../../../../lib/queue-services/deployed-services';
import type { UpdateScalingTargetResult } from '../../../../lib/queue-services/update-scaling-target';
import { freshLocalCloud, projectRoot, waitFor } from '../../../../local/cloud/test-support';
import { checkContainerBuild } from '../../../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../../../local/cloud/start';
import type { ServiceScaler } from '../../../../local/cloud/autoscaling/stack-autoscaling';

jest.setTimeout(120_000);

let cloud: LocalCloud;
let scaler: ServiceScaler;
const processed: string[] = [];

beforeAll(async () => {
  try {
    checkContainerBuild(projectRoot);
  } catch {
    execFileSync(process.execPath, [join(projectRoot, 'container/build.mjs')], { stdio: 'pipe' });
  }
  cloud = await freshLocalCloud({ runServices: true, scalingTickMs: 0 });
  scaler = cloud.autoscaling.scalers.find((s) => s.serviceName === cloud.ecs.stackServices.QueueThumbnailsService)!;
  cloud.ecs.events.on('log', (line) => {
    if (line.line.includes('"message processed"')) processed.push(line.taskArn);
  });
});
afterAll(async () => {
  await cloud?.stop();
});

let afterThis: (() => void) | undefined;
afterEach(() => {
  afterThis?.();
  afterThis = undefined;
});

const runningTasks = () =>
  cloud.ecs.services.tasksOf(cloud.ecs.services.find(scaler.cluster, scaler.serviceName)!).filter((t) => t.lastStatus === 'RUNNING');

test("the template's scaling policy is emulated with its target, capacity and cooldowns", () => {
  expect(scaler).toMatchObject({
    serviceName: 'ecs-pipelines-local-QueueThumbnailsService',
    queueUrl: cloud.resources.queues.QueueThumbnailsQueue!.url,
  });
  const policy = cloud.service.template.Resources.QueueThumbnailsScalingPolicy!.Properties as {
    TargetTrackingScalingPolicyConfiguration: { TargetValue: number };
  };
  expect(scaler.target()).toBe(policy.TargetTrackingScalingPolicyConfiguration.TargetValue);
  // pipelines.yml: 1..10 tasks, cooldowns 180 s out / 300 s in, one tick per metric minute.
  expect(scaler.autoscaler.settings).toMatchObject({
    minTasks: 1,
    maxTasks: 10,
    scaleOutCooldownTicks: 3,
    scaleInCooldownTicks: 5,
    scaleOutEvaluations: 3,
    scaleInEvaluations: 15,
  });
});

test('the service starts at its minimum and its worker processes what produceMessages sends', async () => {
  await waitFor('the first worker', async () => (runningTasks().length === 1 ? true : undefined));

  await cloud.functions
    .find('ProduceMessagesLambdaFunction')!
    .invoke({ queueService: 'thumbnails', count: 5, minWorkMs: 10, maxWorkMs: 20 });

  await waitFor('5 processed messages', async () => (processed.length >= 5 ? true : undefined));
  expect(new Set(processed)).toEqual(new Set(runningTasks().map((t) => t.taskArn)));
});

test('a backlog above the target for three ticks scales the service out to backlog / target tasks', async () => {
  // Prepare: a backlog of slow messages, more than one task's target. Target tracking alone
  // here: the burst path (pipelines.yml burst) is set aside and tested below.
  const { burst, ...trackingOnly } = scaler.autoscaler.settings;
  Object.assign(scaler.autoscaler, { settings: trackingOnly });
  afterThis = () => Object.assign(scaler.autoscaler, { settings: { ...trackingOnly, burst } });
  scaler.setTarget(10);
  await cloud.functions
    .find('ProduceMessagesLambdaFunction')!
    .invoke({ queueService: 'thumbnails', count: 40, minWorkMs: 2000, maxWorkMs: 2000 });

  // Act
  const decisions = [];
  for (let i = 0; i < 3; i += 1) decisions.push(await scaler.autoscaler.tick());

  // Assess
  expect(decisions.map((d) => d.action)).toEqual(['hold', 'hold', 'scale-out']);
  const { desired } = decisions[2]!;
  expect(desired).toBeGreaterThanOrEqual(3);
  await waitFor(`${desired} running workers`, async () => (runningTasks().length === desired ? true : undefined));
  const depth = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: scaler.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  expect(Number(depth.Attributes!.ApproximateNumberOfMessages)).toBeGreaterThan(0);
});

test("the burst path follows the template's step policy: two ticks above its alarm threshold add tasks in proportion", async () => {
  // The step policy and its alarm as packaged (pipelines.yml thumbnails: burst: {}).
  const alarm = cloud.service.template.Resources.QueueThumbnailsBurstAlarm!.Properties as { Threshold: number; DatapointsToAlarm: number };
  const burst = scaler.autoscaler.settings.burst!;
  expect(burst).toMatchObject({ threshold: alarm.Threshold, datapoints: alarm.DatapointsToAlarm, cooldownTicks: 24 });
  expect(burst.steps.length).toBeGreaterThan(2);

  // Prepare: a burst far above the threshold per running task.
  await cloud.functions
    .find('ProduceMessagesLambdaFunction')!
    .invoke({ queueService: 'thumbnails', count: 200, minWorkMs: 2000, maxWorkMs: 2000 });

  // Act: two ticks, inside target tracking's scale-out cooldown from the test above.
  const decisions = [await scaler.autoscaler.tick(), await scaler.autoscaler.tick()];

  // Assess
  expect(decisions.map((d) => d.action)).toEqual(['hold', 'burst-out']);
  expect(decisions[1]!.metric).toBeGreaterThan(alarm.Threshold);
  expect(decisions[1]!.desired).toBeGreaterThan(decisions[0]!.desired);
  await waitFor(`${decisions[1]!.desired} running workers`, async () =>
    runningTasks().length === decisions[1]!.desired ? true : undefined,
  );
});

test('each worker writes the high-resolution backlog metric the burst alarm reads, every 10 s, to the local CloudWatch', async () => {
  // The task definition's METRIC_DIMENSION: <stack>-thumbnails.
  const dimension = `${scaler.serviceName.replace(/-QueueThumbnailsService$/, '')}-thumbnails`;
  const query = (metricName: string) => ({ namespace: 'EcsPipelines/QueueServices', metricName, dimensions: { QueueService: dimension } });

  // Every running worker reported at least once since it started (one line a period each).
  const alive = await waitFor('WorkerAlive datapoints of every running worker', async () => {
    const values = cloud.monitoring.metrics.values(query('WorkerAlive'), 0, Date.now() + 1000);
    return values.length >= runningTasks().length ? values : undefined;
  });
  expect(alive.every((value) => value === 1)).toBe(true);
  const visible = cloud.monitoring.metrics.values(query('VisibleMessages'), 0, Date.now() + 1000);
  expect(visible.length).toBe(alive.length);
  expect(Math.max(...visible)).toBeGreaterThan(0);
});

test("once idle, the burst path's scale-in on busy slots removes the tasks the burst added; target tracking does not scale in", async () => {
  // The scale-in policy and its alarm as packaged (pipelines.yml thumbnails: burst: {}, scaleIn defaults).
  const template = cloud.service.template.Resources;
  const alarm = template.QueueThumbnailsBurstScaleInAlarm!.Properties as { Threshold: number; DatapointsToAlarm: number };
  const tracking = (
    template.QueueThumbnailsScalingPolicy!.Properties as { TargetTrackingScalingPolicyConfiguration: { DisableScaleIn: boolean } }
  ).TargetTrackingScalingPolicyConfiguration;
  expect(tracking.DisableScaleIn).toBe(true);
  const settings = scaler.autoscaler.settings;
  expect(settings.disableScaleIn).toBe(true);
  // 300 s cooldown on one-minute ticks; the sample's concurrency 1.
  expect(settings.scaleIn).toMatchObject({
    threshold: alarm.Threshold,
    datapoints: alarm.DatapointsToAlarm,
    cooldownTicks: 5,
    concurrency: 1,
  });

  // Prepare: the service the burst scaled out (test above), and a queue gone idle.
  const service = () => cloud.ecs.services.find(scaler.cluster, scaler.serviceName)!;
  const scaledOut = service().desiredCount;
  expect(scaledOut).toBeGreaterThan(settings.minTasks);
  // The burst is over: the test takes the waiting messages off the queue (a purge takes 60 s),
  // and the workers finish the ones they hold.
  for (;;) {
    const { Messages = [] } = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: scaler.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (!Messages.length) break;
    await cloud.clients.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: scaler.queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  await waitFor('an idle queue (nothing visible, nothing in flight)', async () => {
    const { Attributes } = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: scaler.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible) === 0
      ? true
      : undefined;
  });

  // Act: one tick per alarm minute until the service is back at its minimum (bounded).
  const decisions = [];
  for (let i = 0; i < 40 && service().desiredCount > settings.minTasks; i += 1) decisions.push(await scaler.autoscaler.tick());

  // Assess: the first scale-in after 5 idle minutes, at most half the tasks each, 5 ticks apart;
  // target tracking (15 minutes under 90 % of its target) never acts.
  const actions = decisions.filter((d) => d.action !== 'hold');
  expect(actions.length).toBeGreaterThan(0);
  expect(actions.every((d) => d.action === 'burst-in')).toBe(true);
  expect(actions[0]!.tick - decisions[0]!.tick + 1).toBe(alarm.DatapointsToAlarm);
  expect(actions[0]!.busy).toBe(0);
  let previous = scaledOut;
  for (const d of actions) {
    expect(d.desired).toBeGreaterThanOrEqual(Math.floor(previous / 2));
    expect(d.desired).toBeLessThan(previous);
    previous = d.desired;
  }
  actions.slice(1).forEach((d, i) => expect(d.tick - actions[i]!.tick).toBe(5));
  expect(service().desiredCount).toBe(settings.minTasks);
  await waitFor(`${settings.minTasks} running worker`, async () => (runningTasks().length === settings.minTasks ? true : undefined));
});

test('the target updater moves the target, the burst alarm threshold and the step bounds when processing slows; a second run moves nothing', async () => {
  // What the updater is told (QUEUE_SERVICES from the template) and the local APIs it calls.
  const updater = cloud.functions.find('UpdateScalingTargetLambdaFunction')!;
  const deployed = parseDeployedQueueServices(updater.spec.environment.QUEUE_SERVICES ?? '{}').thumbnails!;
  const burst = deployed.burst!;
  expect(burst).toMatchObject({
    alarmName: expect.stringContaining('QueueThumbnailsBurstAlarm'),
    policyName: expect.stringMatching(/-thumbnails-burst$/),
  });
  const local = { region: cloud.region, credentials: LOCAL_CREDENTIALS, endpoint: cloud.endpoints.monitoring };
  const cloudwatch = new CloudWatchClient(local);
  const autoscaling = new ApplicationAutoScalingClient(local);
  afterThis = () => {
    cloudwatch.destroy();
    autoscaling.destroy();
  };
  const describeAlarm = async () => (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [burst.alarmName] }))).MetricAlarms![0]!;
  const describePolicy = async (policyName: string) =>
    (
      await autoscaling.send(
        new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: scaler.resourceId, PolicyNames: [policyName] }),
      )
    ).ScalingPolicies![0]!;
  const configurationOf = (alarm: MetricAlarm) => {
    const {
      Threshold: _t,
      AlarmConfigurationUpdatedTimestamp: _u,
      StateValue: _v,
      StateReason: _r,
      StateUpdatedTimestamp: _s,
      ...rest
    } = alarm;
    return rest;
  };

  // Prepare: the deployed target (a test above set its own), which the deployed burst path follows...
  const tracking = cloud.service.template.Resources.QueueThumbnailsScalingPolicy!.Properties as {
    TargetTrackingScalingPolicyConfiguration: { TargetValue: number };
  };
  scaler.setTarget(tracking.TargetTrackingScalingPolicyConfiguration.TargetValue);
  const before = { target: scaler.target(), alarm: await describeAlarm(), steps: await describePolicy(burst.policyName) };
  expect(before.alarm.Threshold).toBe(burstThreshold(burst.thresholdFactor, before.target));
  // ...then processing gets much slower: 2000 messages of 30 s each in the last hour (the
  // worker library's metric), far more than the earlier tests' messages.
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'EcsPipelines/QueueServices',
      MetricData: [
        {
          MetricName: 'ProcessingDuration',
          Dimensions: [{ Name: 'QueueService', Value: deployed.metricDimension }],
          Unit: 'Milliseconds',
          StatisticValues: { SampleCount: 2000, Sum: 2000 * 30_000, Minimum: 30_000, Maximum: 30_000 },
        },
      ],
    }),
  );

  // Act
  const first = (await updater.invoke({ queueService: 'thumbnails' })) as UpdateScalingTargetResult;

  // Assess: the target moved down, and the threshold and steps with it, everything else kept.
  expect(first).toMatchObject({ action: 'update', current: before.target, applied: ['target', 'burst-alarm-threshold', 'burst-steps'] });
  const target = (first as { proposed: number }).proposed;
  expect(target).toBeLessThan(before.target / 4);
  const threshold = burstThreshold(burst.thresholdFactor, target);
  const steps = burstStepAdjustments(threshold, burst.maxStepPercent);
  expect(first.burst).toEqual({ previousThreshold: before.alarm.Threshold, threshold, steps });
  expect((await describePolicy(deployed.policyName)).TargetTrackingScalingPolicyConfiguration?.TargetValue).toBe(target);
  const alarm = await describeAlarm();
  expect(alarm.Threshold).toBe(threshold);
  expect(configurationOf(alarm)).toEqual(configurationOf(before.alarm));
  expect(alarm.Metrics).toHaveLength(3);
  const stepPolicy: ScalingPolicy = await describePolicy(burst.policyName);
  expect(stepPolicy.StepScalingPolicyConfiguration).toEqual({
    ...before.steps.StepScalingPolicyConfiguration,
    StepAdjustments: toAwsSteps(steps),
  });
  expect(stepPolicy.StepScalingPolicyConfiguration!.StepAdjustments![1]!.MetricIntervalLowerBound).toBe(threshold);
  // The local autoscaler scales with them from its next tick.
  expect(scaler.target()).toBe(target);
  expect(scaler.autoscaler.settings.burst).toMatchObject({ threshold, steps });

  // Act: the next hour measures the same.
  const second = (await updater.invoke({ queueService: 'thumbnails' })) as UpdateScalingTargetResult;

  // Assess: within the tolerance, nothing written.
  expect(second).toMatchObject({
    action: 'keep',
    reason: 'within-tolerance',
    applied: [],
    burst: { previousThreshold: threshold, threshold },
  });
  expect(await describeAlarm()).toEqual(alarm);
  expect(await describePolicy(burst.policyName)).toEqual(stepPolicy);
  expect(scaler.target()).toBe(target);
});
