/**
 * Wires the stack's functions to their event sources exactly as the packaged template
 * declares them: S3 bucket notifications, Kinesis and SQS event source mappings, EventBridge
 * rules (event patterns and schedules) and each function's asynchronous invoke configuration.
 * Nothing here names a function or a resource: add an event in serverless.yml and it is wired.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { nextScheduleTimes } from '../../../lib/registry/schedule';
import type { LocalClients } from '../aws';
import type { StackResolver } from '../intrinsics';
import { AsyncInvoker, type AsyncInvokeConfig } from './async-invoke';
import { matchesPattern } from '../../../lib/shared/event-pattern';
import { transformInput, type InputTransformer } from './input-transformer';
import type { FunctionRuntime, LocalFunction } from './functions';
import { KinesisMapping, type KinesisBatchOutcome, type KinesisMappingTiming } from './kinesis-mapping';
import { SqsMapping, type SqsBatchOutcome } from './sqs-mapping';
import { LocalScheduler, schedulesFromTemplate } from './scheduler';

export interface WiringTiming extends KinesisMappingTiming {
  /** Delay before an async invocation's first retry (Lambda: about a minute). */
  asyncRetryDelayMs: number;
  /** Overrides every mapping's batching window (benchmarks); undefined keeps the template's. */
  batchWindowMs?: number;
}

export const DEFAULT_TIMING: WiringTiming = { pollIntervalMs: 100, retryDelayMs: 200, asyncRetryDelayMs: 1_000 };

/** An event as EventBridge delivers it to targets. */
export interface BusEvent {
  version?: string;
  id?: string;
  'detail-type': string;
  source: string;
  account?: string;
  time?: string;
  region?: string;
  resources?: string[];
  detail: unknown;
}

interface Target {
  Arn: string;
  Id: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
}

interface Rule {
  logicalId: string;
  name: string;
  /** The bus it listens on: `default` or a bus name (an ARN in the template is read as its name). */
  bus: string;
  pattern?: Record<string, unknown>;
  schedule?: string;
  targets: Target[];
}

interface NotificationConfig {
  Event: string;
  Filter?: { S3Key?: { Rules?: Array<{ Name: string; Value: string }> } };
  Function?: string;
  Queue?: string;
}

export interface WiringEvents {
  /** An object was written to a bucket of the stack. */
  s3: [{ bucket: string; key: string; size: number; eventName: string; targets: number }];
  kinesisBatch: [KinesisBatchOutcome & { function: string }];
  sqsBatch: [SqsBatchOutcome & { function: string }];
  asyncFailure: [{ function: string; error: string; attempts: number }];
  rule: [{ rule: string; target: string; event: unknown }];
  schedule: [{ rule: string; time: Date }];
}

export interface Wiring {
  events: EventEmitter<WiringEvents>;
  /** Delivers an event to the rules of that bus (default: the default bus) whose pattern matches; returns how many matched. */
  putEvent(event: BusEvent, bus?: string): number;
  /** The buses events can be put on: `default` and the template's AWS::Events::EventBus names. */
  buses(): string[];
  /** Runs a schedule's (EventBridge Scheduler) or a schedule rule's targets now, as if its time (default: now) had come. */
  fireSchedule(ruleName: string, time?: Date): void;
  /** The S3 notification event the stack's bucket would send for this object (for tests and `sls invoke local`). */
  s3EventFor(bucket: string, key: string, size: number, eTag: string): unknown;
  /** Invokes a function asynchronously (Event), with its retries and on-failure destination; false when there is no such function. */
  invokeAsync(functionRef: string, event: unknown): boolean;
  /** Every async invocation accepted so far has finished (retries included). */
  drain(): Promise<void>;
  kinesisMappings: KinesisMapping[];
  sqsMappings: SqsMapping[];
  stop(): Promise<void>;
}

/** A transformed input is JSON, or text when the template is text. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Keys in S3 event notifications are URL-encoded with spaces as '+'. */
const encodeS3Key = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

function filterMatches(config: NotificationConfig, key: string): boolean {
  return (config.Filter?.S3Key?.Rules ?? []).every((rule) =>
    rule.Name.toLowerCase() === 'prefix'
      ? key.startsWith(rule.Value)
      : rule.Name.toLowerCase() === 'suffix'
        ? key.endsWith(rule.Value)
        : true,
  );
}

function eventMatches(configEvent: string, eventName: string): boolean {
  const wanted = configEvent.replace(/^s3:/, '');
  return wanted.endsWith(':*') ? eventName.startsWith(wanted.slice(0, -1)) : wanted === eventName;
}

export async function wireStack(options: {
  resolver: StackResolver;
  functions: FunctionRuntime;
  clients: LocalClients;
  s3Events: EventEmitter;
  timing?: Partial<WiringTiming>;
  region: string;
  accountId: string;
}): Promise<Wiring> {
  const { resolver, functions, clients, region, accountId } = options;
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const events = new EventEmitter<WiringEvents>();

  // ARN → queue URL, for destinations and targets.
  const queueUrlByArn = new Map(
    resolver.resources('AWS::SQS::Queue').map(([id]) => [resolver.physicalOf(id).attributes.Arn!, resolver.physicalOf(id).ref]),
  );
  const queueUrl = (arn: string | undefined) => (arn ? queueUrlByArn.get(arn) : undefined);
  const mustFind = (ref: string, where: string): LocalFunction => {
    const fn = functions.find(ref);
    if (!fn) throw new Error(`${where} names function ${ref}, which is not in the template`);
    return fn;
  };

  // Asynchronous invoke configuration per function.
  const asyncConfig = new Map<LocalFunction, AsyncInvokeConfig>();
  for (const [id, resource] of resolver.resources('AWS::Lambda::EventInvokeConfig')) {
    const p = resolver.resolve(resource.Properties, id) as {
      FunctionName: string;
      MaximumRetryAttempts?: number;
      DestinationConfig?: { OnFailure?: { Destination?: string } };
    };
    const destination = queueUrl(p.DestinationConfig?.OnFailure?.Destination);
    asyncConfig.set(mustFind(p.FunctionName, id), {
      maximumRetryAttempts: p.MaximumRetryAttempts ?? 2,
      ...(destination ? { onFailureQueueUrl: destination } : {}),
    });
  }
  const invoker = new AsyncInvoker(
    clients.sqs,
    (fn) => asyncConfig.get(fn) ?? { maximumRetryAttempts: 2 },
    timing.asyncRetryDelayMs,
    (fn, error, attempts) =>
      events.emit('asyncFailure', { function: fn.spec.logicalId, error: `${error.name}: ${error.message}`, attempts }),
  );

  // EventBridge rules: patterns and schedules, with their targets.
  const rules: Rule[] = resolver.resources('AWS::Events::Rule').map(([id, resource]) => {
    const p = resolver.resolve(resource.Properties, id) as {
      Name?: string;
      EventBusName?: string;
      EventPattern?: Record<string, unknown>;
      ScheduleExpression?: string;
      State?: string;
      Targets?: Target[];
    };
    return {
      logicalId: id,
      name: resolver.physicalOf(id).ref,
      bus: p.EventBusName ? p.EventBusName.slice(p.EventBusName.lastIndexOf('/') + 1) : 'default',
      ...(p.EventPattern ? { pattern: p.EventPattern } : {}),
      ...(p.ScheduleExpression && p.State !== 'DISABLED' ? { schedule: p.ScheduleExpression } : {}),
      targets: p.Targets ?? [],
    };
  });

  const deliver = (rule: Rule, event: BusEvent | Record<string, unknown>) => {
    for (const target of rule.targets) {
      const payload =
        target.Input !== undefined
          ? (JSON.parse(target.Input) as unknown)
          : target.InputTransformer
            ? parseOrText(transformInput(target.InputTransformer, event))
            : target.InputPath === '$.detail'
              ? (event as BusEvent).detail
              : event;
      events.emit('rule', { rule: rule.name, target: target.Arn, event: payload });
      const fn = functions.find(target.Arn);
      if (fn) invoker.invoke(fn, payload);
      else if (target.Arn.startsWith('arn:aws:sqs:')) {
        const url = queueUrl(target.Arn);
        if (url) void clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(payload) }));
      } else if (target.Arn.startsWith('arn:aws:states:') && clients.sfn) {
        void clients.sfn.send(new StartExecutionCommand({ stateMachineArn: target.Arn, input: JSON.stringify(payload) }));
      }
    }
  };

  const busNames = ['default', ...resolver.resources('AWS::Events::EventBus').map(([id]) => resolver.physicalOf(id).ref)];
  const putEvent = (input: BusEvent, bus = 'default'): number => {
    const event = {
      version: '0',
      id: randomUUID(),
      account: accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [],
      ...input,
    };
    let matched = 0;
    for (const rule of rules) {
      if (rule.bus === bus && rule.pattern && matchesPattern(rule.pattern, event)) {
        matched++;
        deliver(rule, event);
      }
    }
    return matched;
  };

  // EventBridge Scheduler schedules, in their time zones.
  const scheduler = new LocalScheduler(schedulesFromTemplate(resolver), (schedule, payload, time) => {
    events.emit('schedule', { rule: schedule.name, time });
    events.emit('rule', { rule: schedule.name, target: schedule.targetArn, event: payload });
    const fn = functions.find(schedule.targetArn);
    if (!fn) throw new Error(`schedule ${schedule.name} targets ${schedule.targetArn}, which is not a function of the template`);
    invoker.invoke(fn, payload);
  });
  scheduler.start();

  const fireSchedule = (ruleName: string, time = new Date()) => {
    if (scheduler.find(ruleName)) return scheduler.fire(ruleName, time);
    const rule = rules.find((r) => r.name === ruleName || r.logicalId === ruleName);
    if (!rule?.schedule) {
      const known = [...scheduler.schedules.map((s) => s.name), ...rules.filter((r) => r.schedule).map((r) => r.name)];
      throw new Error(`no schedule named ${ruleName} (schedules: ${known.join(', ') || 'none'})`);
    }
    events.emit('schedule', { rule: rule.name, time });
    deliver(rule, {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [resolver.physicalOf(rule.logicalId).attributes.Arn!],
      detail: {},
    });
  };

  // Schedules fire on their EventBridge cron/rate times.
  const timers = new Set<NodeJS.Timeout>();
  const arm = (rule: Rule) => {
    const [next] = nextScheduleTimes(rule.schedule!, new Date(), 1);
    if (!next) return;
    // setTimeout holds at most ~24.8 days: re-arm in steps.
    const wait = Math.min(next.getTime() - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (Date.now() >= next.getTime()) fireSchedule(rule.logicalId);
      arm(rule);
    }, wait);
    timer.unref();
    timers.add(timer);
  };
  for (const rule of rules) if (rule.schedule) arm(rule);

  // S3 notifications of the stack's buckets.
  const notifications = new Map<string, NotificationConfig[]>();
  for (const [id, resource] of resolver.resources('AWS::S3::Bucket')) {
    const p = resolver.resolve(resource.Properties, id) as {
      NotificationConfiguration?: { LambdaConfigurations?: NotificationConfig[]; QueueConfigurations?: NotificationConfig[] };
    };
    const n = p.NotificationConfiguration;
    notifications.set(resolver.physicalOf(id).ref, [...(n?.LambdaConfigurations ?? []), ...(n?.QueueConfigurations ?? [])]);
  }
  const s3EventFor = (bucket: string, key: string, size: number, eTag: string, eventName = 'ObjectCreated:Put', sequencer?: string) => ({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: new Date().toISOString(),
        eventName,
        userIdentity: { principalId: 'AWS:LOCAL' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'local',
          bucket: { name: bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeS3Key(key),
            size,
            eTag,
            sequencer: sequencer ?? process.hrtime.bigint().toString(16).toUpperCase().padStart(18, '0'),
          },
        },
      },
    ],
  });
  const onS3 = (raw: {
    Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } } }>;
  }) => {
    for (const record of raw.Records) {
      const bucket = record.s3.bucket.name;
      const { key, size = 0, eTag = '' } = record.s3.object;
      const configs = (notifications.get(bucket) ?? []).filter((c) => eventMatches(c.Event, record.eventName) && filterMatches(c, key));
      events.emit('s3', { bucket, key, size, eventName: record.eventName, targets: configs.length });
      for (const config of configs) {
        // s3rver reports raw keys and coarse sequencers; rebuild the record as S3 sends it.
        const event = s3EventFor(bucket, key, size, eTag, record.eventName);
        if (config.Function) invoker.invoke(mustFind(config.Function, `bucket ${bucket} notification`), event);
        else if (config.Queue) {
          const url = queueUrl(config.Queue);
          if (url) void clients.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(event) }));
        }
      }
    }
  };
  options.s3Events.on('event', onS3);

  // Event source mappings: Kinesis streams and SQS queues of the stack.
  const kinesisMappings: KinesisMapping[] = [];
  const sqsMappings: SqsMapping[] = [];
  const streamByArn = new Map(
    resolver.resources('AWS::Kinesis::Stream').map(([id]) => [resolver.physicalOf(id).attributes.Arn!, resolver.physicalOf(id).ref]),
  );
  for (const [id, resource] of resolver.resources('AWS::Lambda::EventSourceMapping')) {
    const p = resolver.resolve(resource.Properties, id) as {
      EventSourceArn: string;
      FunctionName: string;
      Enabled?: boolean;
      BatchSize?: number;
      MaximumBatchingWindowInSeconds?: number;
      StartingPosition?: 'TRIM_HORIZON' | 'LATEST';
      BisectBatchOnFunctionError?: boolean;
      FunctionResponseTypes?: string[];
      MaximumRetryAttempts?: number;
      MaximumRecordAgeInSeconds?: number;
      DestinationConfig?: { OnFailure?: { Destination?: string } };
      FilterCriteria?: { Filters?: Array<{ Pattern?: string }> };
    };
    if (p.Enabled === false) continue;
    const fn = mustFind(p.FunctionName, id);
    const reportBatchItemFailures = (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
    const queue = queueUrl(p.EventSourceArn);
    if (queue) {
      const filters = (p.FilterCriteria?.Filters ?? []).map((filter, i) => {
        try {
          return JSON.parse(filter.Pattern ?? '{}') as Record<string, unknown>;
        } catch (error) {
          throw new Error(`${id}: FilterCriteria.Filters[${i}].Pattern is not JSON: ${String(error)}`);
        }
      });
      const mapping = new SqsMapping(
        fn,
        {
          queueUrl: queue,
          queueArn: p.EventSourceArn,
          // Lambda's defaults for SQS: 10 messages, no window.
          batchSize: p.BatchSize ?? 10,
          batchWindowMs: timing.batchWindowMs ?? (p.MaximumBatchingWindowInSeconds ?? 0) * 1000,
          reportBatchItemFailures,
          filters,
          region,
        },
        clients.sqs,
        timing,
        (outcome) => events.emit('sqsBatch', { ...outcome, function: fn.spec.logicalId }),
      );
      mapping.start();
      sqsMappings.push(mapping);
      continue;
    }
    const streamName = streamByArn.get(p.EventSourceArn);
    if (!streamName)
      throw new Error(
        `${id}: event source ${p.EventSourceArn} is neither a stream nor a queue of this stack; the local cloud cannot wire it`,
      );
    const destination = queueUrl(p.DestinationConfig?.OnFailure?.Destination);
    const mapping = new KinesisMapping(
      fn,
      {
        streamName,
        streamArn: p.EventSourceArn,
        batchSize: p.BatchSize ?? 100,
        batchWindowMs: timing.batchWindowMs ?? (p.MaximumBatchingWindowInSeconds ?? 0) * 1000,
        startingPosition: p.StartingPosition ?? 'LATEST',
        bisectOnError: p.BisectBatchOnFunctionError ?? false,
        reportBatchItemFailures,
        maximumRetryAttempts: p.MaximumRetryAttempts ?? -1,
        maximumRecordAgeSeconds: p.MaximumRecordAgeInSeconds ?? -1,
        ...(destination ? { onFailureQueueUrl: destination } : {}),
        region,
      },
      { kinesis: clients.kinesis, sqs: clients.sqs },
      timing,
      (outcome) => events.emit('kinesisBatch', { ...outcome, function: fn.spec.logicalId }),
    );
    await mapping.start();
    kinesisMappings.push(mapping);
  }
  // A record or message put by a function is picked up at once rather than at the next poll.
  const onResult = () => [...kinesisMappings, ...sqsMappings].forEach((m) => m.nudge());
  functions.events.on('result', onResult);

  return {
    events,
    putEvent,
    buses: () => [...busNames],
    fireSchedule,
    s3EventFor: (bucket, key, size, eTag) => s3EventFor(bucket, key, size, eTag),
    invokeAsync(functionRef, event) {
      const fn = functions.find(functionRef);
      if (fn) invoker.invoke(fn, event);
      return Boolean(fn);
    },
    drain: () => invoker.drain(),
    kinesisMappings,
    sqsMappings,
    async stop() {
      options.s3Events.off('event', onS3);
      functions.events.off('result', onResult);
      for (const timer of timers) clearTimeout(timer);
      scheduler.stop();
      await Promise.all([...kinesisMappings, ...sqsMappings].map((m) => m.stop()));
    },
  };
}
