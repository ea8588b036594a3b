/**
 * SNS, CloudWatch metrics and alarms, and Application Auto Scaling for this stack, locally:
 *   - topics and subscriptions (protocol, endpoint, FilterPolicy, raw delivery) from the
 *     template; Lambda subscriptions are invoked asynchronously, SQS ones get the SNS envelope;
 *   - metrics from the Embedded Metric Format lines of functions and containers, from the local
 *     services (AWS/Lambda per function, AWS/States per state machine, AWS/SQS depths the
 *     alarms need), and from PutMetricData;
 *   - every single-metric AWS::CloudWatch::Alarm of the template evaluated on a timer; a state
 *     change publishes CloudWatch's notification to its actions, so the alarm formatter runs;
 *     metric math alarms kept as configured (DescribeAlarms, PutMetricAlarm), not evaluated here.
 * Nothing names a resource: add a topic, subscription or alarm to the template and it is here.
 */
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  type AlarmConfiguration,
  type AlarmDefinition,
  type AlarmTransition,
  LocalAlarms,
  metricAlarmDefinition,
} from '../emulators/cloudwatch/alarms';
import { emfDatapoints, MetricStore } from '../emulators/cloudwatch/metrics';
import type { LocalScalingPolicy, ScalingPolicies } from '../emulators/application-auto-scaling/api';
import { startMonitoringServer } from '../emulators/monitoring-server';
import { LocalSns, type Deliverer, type PublishedMessage } from '../emulators/sns/local-sns';
import type { StackResolver } from './intrinsics';
import { matchesPattern } from '../../lib/shared/event-pattern';

export interface StackMonitoring {
  endpoint: string;
  sns: LocalSns;
  metrics: MetricStore;
  alarms: LocalAlarms;
  /** Every message published to a topic of the stack, oldest first. */
  notices(): PublishedMessage[];
  /** Samples the queue depths the alarms watch, then evaluates every alarm (also done on a timer). */
  evaluateAlarms(): Promise<AlarmTransition[]>;
  /** Where Lambda and SQS subscriptions deliver; set once the functions run. */
  setTargets(targets: {
    invokeAsync(functionRef: string, event: unknown): boolean;
    queueUrlOf(arn: string): string | undefined;
    sqs: SQSClient;
  }): void;
  setScalingPolicies(policies: ScalingPolicies): void;
  /** One line of a function's or container's output: its EMF metrics are collected. */
  ingestLog(line: string, source: string): void;
  stop(): Promise<void>;
}

/** The template's single-metric alarms (metric math alarms come from mathAlarmDefinitions). */
export function alarmDefinitions(resolver: StackResolver, log: (line: string) => void = () => undefined): AlarmDefinition[] {
  return templateAlarms(resolver).flatMap(({ id, alarmName, alarmArn, properties }) => {
    const definition = metricAlarmDefinition(properties, alarmName, alarmArn);
    if (!definition && !properties.Metrics) log(`local CloudWatch: alarm ${id} left out: neither a single metric nor metric math`);
    return definition ? [definition] : [];
  });
}

/**
 * The template's metric math alarms, as configured: described and updated by PutMetricAlarm
 * locally, not evaluated by the local CloudWatch (a burst alarm is, by the local autoscaler).
 */
export function mathAlarmDefinitions(
  resolver: StackResolver,
): Array<{ alarmName: string; alarmArn: string; configuration: AlarmConfiguration & { Threshold: number } }> {
  return templateAlarms(resolver)
    .filter(({ properties }) => properties.Metrics && typeof properties.Threshold === 'number')
    .map(({ alarmName, alarmArn, properties }) => ({
      alarmName,
      alarmArn,
      configuration: properties as AlarmConfiguration & { Threshold: number },
    }));
}

function templateAlarms(resolver: StackResolver) {
  const { region, accountId } = resolver.context;
  return resolver.resources('AWS::CloudWatch::Alarm').map(([id, resource]) => {
    const properties = resolver.resolve(resource.Properties ?? {}, id) as AlarmConfiguration;
    const alarmName = properties.AlarmName ?? resolver.physicalOf(id).ref;
    return { id, alarmName, alarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${alarmName}`, properties };
  });
}

export async function startMonitoringForStack(options: {
  resolver: StackResolver;
  port: number;
  /** How often alarms are evaluated (AWS: every minute). 0: only when evaluateAlarms is called. */
  alarmTickMs: number;
  log: (line: string) => void;
}): Promise<StackMonitoring> {
  const { resolver, log } = options;
  const { region, accountId } = resolver.context;
  let targets: Parameters<StackMonitoring['setTargets']>[0] | undefined;
  let scalingPolicies: ScalingPolicies = { list: () => [], put: () => undefined };

  const deliverers: Record<string, Deliverer> = {
    lambda: async (subscription, notification) => {
      if (!targets) throw new Error('the local functions are not running yet');
      const event = {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: subscription.subscriptionArn,
            Sns: {
              ...notification,
              SigningCertUrl: notification.SigningCertURL,
              UnsubscribeUrl: notification.UnsubscribeURL,
              MessageAttributes: notification.MessageAttributes ?? {},
              SigningCertURL: undefined,
              UnsubscribeURL: undefined,
            },
          },
        ],
      };
      // SNS invokes Lambda asynchronously: accepted is delivered; retries are the function's async config.
      if (!targets.invokeAsync(subscription.endpoint, JSON.parse(JSON.stringify(event))))
        throw new Error(`no function ${subscription.endpoint} in the local cloud`);
    },
    sqs: async (subscription, notification, message) => {
      if (!targets) throw new Error('the local queues are not wired yet');
      const url = targets.queueUrlOf(subscription.endpoint);
      if (!url) throw new Error(`no queue ${subscription.endpoint} in the local cloud`);
      await targets.sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: subscription.rawMessageDelivery ? message.message : JSON.stringify(notification),
        }),
      );
    },
  };
  const sns = new LocalSns(region, accountId, deliverers, (pattern, value) => matchesPattern(pattern, value));
  for (const [id, resource] of resolver.resources('AWS::SNS::Topic')) {
    const p = resolver.resolve(resource.Properties ?? {}, id) as { DisplayName?: string };
    const topicArn = resolver.physicalOf(id).ref;
    sns.createTopic(topicArn.split(':').at(-1)!, p.DisplayName);
  }
  for (const [id, resource] of resolver.resources('AWS::SNS::Subscription')) {
    const p = resolver.resolve(resource.Properties ?? {}, id) as {
      TopicArn: string;
      Protocol: string;
      Endpoint?: string;
      FilterPolicy?: unknown;
      FilterPolicyScope?: 'MessageAttributes' | 'MessageBody';
      RawMessageDelivery?: boolean | string;
    };
    const filterPolicy =
      typeof p.FilterPolicy === 'string'
        ? (JSON.parse(p.FilterPolicy) as Record<string, unknown>)
        : (p.FilterPolicy as Record<string, unknown> | undefined);
    try {
      sns.subscribe({
        topicArn: p.TopicArn,
        protocol: p.Protocol,
        endpoint: p.Endpoint ?? '',
        ...(filterPolicy ? { filterPolicy } : {}),
        ...(p.FilterPolicyScope ? { filterPolicyScope: p.FilterPolicyScope } : {}),
        rawMessageDelivery: p.RawMessageDelivery === true || p.RawMessageDelivery === 'true',
      });
    } catch (error) {
      log(`local SNS: subscription ${id} left out: ${(error as Error).message}`);
    }
  }

  const metrics = new MetricStore();
  const alarms = new LocalAlarms(metrics, { region, accountId });
  for (const definition of alarmDefinitions(resolver, log)) alarms.define(definition);
  for (const math of mathAlarmDefinitions(resolver)) alarms.defineMath(math.alarmName, math.alarmArn, math.configuration);
  const topicArns = new Set(sns.listTopics().map((t) => t.topicArn));
  alarms.on('transition', (t) => {
    for (const action of t.actions) {
      if (!topicArns.has(action)) continue;
      try {
        sns.publish({ TopicArn: action, Subject: t.subject, Message: t.message, publisher: `CloudWatch alarm ${t.alarm.alarmName}` });
      } catch (error) {
        log(`local CloudWatch: alarm ${t.alarm.alarmName} could not notify ${action}: ${(error as Error).message}`);
      }
    }
  });

  // AWS/SQS: the depths the alarms watch, sampled before each evaluation (as SQS reports them each minute).
  const sampledQueues = [
    ...new Set(
      [...alarms.alarms.values()]
        .filter((a) => a.namespace === 'AWS/SQS' && a.metricName === 'ApproximateNumberOfMessagesVisible')
        .map((a) => a.dimensions.QueueName)
        .filter((q): q is string => Boolean(q)),
    ),
  ];
  const queueUrlByName = (name: string) => {
    const id = resolver
      .resources('AWS::SQS::Queue')
      .find(([logicalId]) => resolver.physicalOf(logicalId).attributes.QueueName === name)?.[0];
    return id ? resolver.physicalOf(id).ref : undefined;
  };
  const sampleQueues = async () => {
    if (!targets) return;
    const now = Date.now();
    await Promise.all(
      sampledQueues.map(async (queueName) => {
        const url = queueUrlByName(queueName);
        if (!url) return;
        try {
          const out = await targets!.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
          );
          metrics.put({
            namespace: 'AWS/SQS',
            metricName: 'ApproximateNumberOfMessagesVisible',
            dimensions: { QueueName: queueName },
            timestamp: now,
            value: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
            source: 'SQS',
          });
        } catch (error) {
          log(`local CloudWatch: cannot read the depth of ${queueName}: ${(error as Error).message}`);
        }
      }),
    );
  };
  let evaluating: Promise<AlarmTransition[]> | undefined;
  const evaluateAlarms = () =>
    (evaluating ??= (async () => {
      try {
        await sampleQueues();
        return alarms.evaluate();
      } finally {
        evaluating = undefined;
      }
    })());
  const timer =
    options.alarmTickMs > 0
      ? setInterval(
          () => void evaluateAlarms().catch((error: unknown) => log(`local CloudWatch: alarm evaluation failed: ${String(error)}`)),
          options.alarmTickMs,
        )
      : undefined;
  timer?.unref();

  const server = await startMonitoringServer({
    port: options.port,
    sns,
    metrics,
    alarms,
    scalingPolicies: {
      list: () => scalingPolicies.list(),
      put: (policy: LocalScalingPolicy, configuration: Record<string, unknown>) => scalingPolicies.put(policy, configuration),
    },
  });
  return {
    endpoint: server.endpoint,
    sns,
    metrics,
    alarms,
    notices: () => [...sns.messages],
    evaluateAlarms,
    setTargets: (t) => void (targets = t),
    setScalingPolicies: (p) => void (scalingPolicies = p),
    ingestLog: (line, source) => {
      for (const point of emfDatapoints(line, source)) metrics.put(point);
    },
    async stop() {
      if (timer) clearInterval(timer);
      await server.stop();
    },
  };
}
