/**
 * The cost model: what a stage costs idle each month, per 1,000,000 accepted files, and per
 * run, from the packaged CloudFormation template (what is deployed, and how it is sized),
 * the dated price table (lib/shared/pricing/prices.yml) and what the benchmarks measured
 * (measured.ts). Pure functions: `npm run cost` (main.ts) packages and prints; the tests
 * check them against costs computed by hand.
 */
import { QUEUE_BURST_METRICS } from '../../lib/contracts/metric-names';
import { nextScheduleTimes } from '../../lib/registry/schedule';
import { runTransitions, taskCost, type Architecture, type Capacity } from '../../lib/pipelines/runs/run-cost';
import type { RegionPrices } from '../../lib/shared/pricing/prices';
import { MEASURED } from './measured';
import { deployedTemplate, referencedIds, TemplateReadError, type Resource, type Template } from './template';

export interface CostLine {
  /** What is billed (a resource's logical id, or a group). */
  item: string;
  /** How the figure is made: counts, sizes, rates. */
  detail: string;
  usd: number;
}

export interface CostTable {
  lines: CostLine[];
  totalUsd: number;
}

export interface IdleCost extends CostTable {
  /** Pipeline runs the template schedules: not idle (they do work), listed apart. */
  scheduledRuns: Array<{ item: string; pipeline: string; perMonth: number }>;
}

const table = (lines: CostLine[]): CostTable => ({ lines, totalUsd: lines.reduce((sum, line) => sum + line.usd, 0) });
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const money = (usd: number) => `$${usd.toFixed(usd < 0.01 ? 6 : 4)}`;

/** How often a schedule expression fires in an average month (730 hours); undefined for one-off `at(...)`. */
export function firesPerMonth(expression: string, hoursPerMonth = 730): number | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const unitMinutes = rate[2]!.startsWith('minute') ? 1 : rate[2]!.startsWith('hour') ? 60 : 1440;
    return (hoursPerMonth * 60) / (Number(rate[1]) * unitMinutes);
  }
  if (!expression.startsWith('cron(')) return undefined;
  // A whole (non-leap) year of fire times, per twelfth: weekly and monthly patterns average out.
  const start = new Date('2027-01-01T00:00:00Z');
  const end = new Date('2028-01-01T00:00:00Z').getTime();
  let count = 0;
  let from = new Date(start.getTime() - 1);
  for (;;) {
    const times = nextScheduleTimes(expression, from, 1000);
    const inYear = times.filter((t) => t.getTime() < end);
    count += inYear.length;
    if (inYear.length < times.length || times.length === 0) break;
    from = times[times.length - 1]!;
  }
  return (count / 12) * (hoursPerMonth / 730);
}

interface LambdaSize {
  memoryGb: number;
  architecture: 'arm64' | 'x86_64';
}

function lambdaSize(resources: Record<string, Resource>, id: string): LambdaSize {
  const fn = resources[id];
  if (fn?.Type !== 'AWS::Lambda::Function') throw new TemplateReadError(`the template has no Lambda function ${id}`);
  const memory = Number(fn.Properties?.MemorySize ?? 128);
  const architectures = fn.Properties?.Architectures;
  return { memoryGb: memory / 1024, architecture: Array.isArray(architectures) && architectures[0] === 'arm64' ? 'arm64' : 'x86_64' };
}

/** Requests and GB-seconds of `invocations` calls of `ms` each. */
function lambdaUsd(
  size: LambdaSize,
  invocations: number,
  ms: number,
  prices: RegionPrices,
): { requests: number; duration: number; gbSeconds: number } {
  const gbSeconds = invocations * (ms / 1000) * size.memoryGb;
  const perGbSecond = size.architecture === 'arm64' ? prices.usd.lambdaGbSecondArm : prices.usd.lambdaGbSecondX86;
  return { requests: (invocations / 1e6) * prices.usd.lambdaRequestsPerMillion, duration: gbSeconds * perGbSecond, gbSeconds };
}

/** The Lambda function a target ARN names (`Fn::GetAtt [Fn, Arn]`, or an alias/version of it). */
function targetFunction(resources: Record<string, Resource>, arn: unknown): string | undefined {
  for (const id of referencedIds(arn)) {
    const resource = resources[id];
    if (resource?.Type === 'AWS::Lambda::Function') return id;
    if (resource && ['AWS::Lambda::Alias', 'AWS::Lambda::Version'].includes(resource.Type)) {
      const inner = referencedIds(resource.Properties?.FunctionName).find((x) => resources[x]?.Type === 'AWS::Lambda::Function');
      if (inner) return inner;
    }
  }
  return undefined;
}

/** The pipeline a scheduled target starts (`{"pipeline": ...}` in its Input or input template). */
const pipelineOfInput = (input: unknown): string | undefined => {
  const text =
    typeof input === 'string' ? input : isRecord(input) && typeof input.InputTemplate === 'string' ? input.InputTemplate : undefined;
  return text ? /"pipeline"\s*:\s*"([^"]+)"/.exec(text)?.[1] : undefined;
};

/** Time-weighted minimum task count over a week, following the scalable target's scheduled actions. */
function averageMinimum(target: Resource): number {
  const base = Number(target.Properties?.MinCapacity ?? 0);
  const actions = (Array.isArray(target.Properties?.ScheduledActions) ? target.Properties.ScheduledActions : []).filter(isRecord);
  const weekMs = 7 * 86_400_000;
  const start = new Date('2027-01-04T00:00:00Z').getTime();
  const events: Array<{ at: number; min: number }> = [];
  for (const action of actions) {
    const schedule = String(action.Schedule ?? '');
    const min = Number(isRecord(action.ScalableTargetAction) ? action.ScalableTargetAction.MinCapacity : Number.NaN);
    if (!schedule.startsWith('cron(') || Number.isNaN(min)) continue;
    const from = new Date(start - weekMs - 1);
    for (const time of nextScheduleTimes(schedule, from, 2000)) {
      if (time.getTime() >= start + weekMs) break;
      events.push({ at: time.getTime(), min });
    }
  }
  if (!events.length) return base;
  events.sort((a, b) => a.at - b.at);
  let current = base;
  let last = start;
  let taskMs = 0;
  for (const event of events) {
    if (event.at > start) {
      taskMs += current * (Math.min(event.at, start + weekMs) - last);
      last = event.at;
    }
    current = event.min;
  }
  taskMs += current * (start + weekMs - last);
  return taskMs / weekMs;
}

/**
 * Monthly cost of a stage that processes nothing: what is billed by the hour or the month
 * whether or not a file arrives (streams, interface endpoints, alarms, dashboards, keys,
 * secrets, Container Insights, services' running tasks and their public addresses), and
 * the work schedules do on their own (scheduled Lambda invocations, SQS polling).
 */
export function idleCost(template: Template, prices: RegionPrices): IdleCost {
  const { resources } = deployedTemplate(template);
  const { usd, hoursPerMonth: hours, assumptions } = prices;
  const lines: CostLine[] = [];
  const scheduledRuns: IdleCost['scheduledRuns'] = [];
  const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const add = (item: string, detail: string, amount: number) => lines.push({ item, detail, usd: amount });

  for (const [id, stream] of of('AWS::Kinesis::Stream')) {
    const mode = isRecord(stream.Properties?.StreamModeDetails) ? stream.Properties.StreamModeDetails.StreamMode : undefined;
    if (mode === 'ON_DEMAND')
      add(id, `Kinesis on-demand: ${hours} stream-hours × ${money(usd.kinesisOnDemandStreamHour)}`, hours * usd.kinesisOnDemandStreamHour);
    else {
      const shards = Number(stream.Properties?.ShardCount ?? 1);
      add(
        id,
        `Kinesis provisioned: ${shards} shard(s) × ${hours} h × ${money(usd.kinesisShardHour)}`,
        shards * hours * usd.kinesisShardHour,
      );
    }
  }

  for (const [id, endpoint] of of('AWS::EC2::VPCEndpoint')) {
    if (endpoint.Properties?.VpcEndpointType !== 'Interface') continue;
    const azs = Array.isArray(endpoint.Properties?.SubnetIds) ? endpoint.Properties.SubnetIds.length : 1;
    add(
      id,
      `interface endpoint: ${azs} AZ × ${hours} h × ${money(usd.interfaceEndpointAzHour)}`,
      azs * hours * usd.interfaceEndpointAzHour,
    );
  }

  // Alarms: per alarm metric (a metric math alarm pays for each metric it reads).
  let standard = 0;
  let highResolution = 0;
  let composite = 0;
  for (const [, alarm] of of('AWS::CloudWatch::Alarm')) {
    const metrics = Array.isArray(alarm.Properties?.Metrics)
      ? alarm.Properties.Metrics.filter((m) => isRecord(m) && isRecord(m.MetricStat))
      : [];
    const periods = metrics.length
      ? metrics.map((m) => Number((m as { MetricStat: { Period?: unknown } }).MetricStat.Period ?? 60))
      : [Number(alarm.Properties?.Period ?? 60)];
    const count = Math.max(1, metrics.length);
    if (Math.min(...periods) < 60) highResolution += count;
    else standard += count;
  }
  composite += of('AWS::CloudWatch::CompositeAlarm').length;
  // Target tracking creates two alarms per policy (scale out, scale in), outside the template.
  let trackingAlarmMetrics = 0;
  for (const [, policy] of of('AWS::ApplicationAutoScaling::ScalingPolicy')) {
    if (policy.Properties?.PolicyType !== 'TargetTrackingScaling') continue;
    const config = policy.Properties.TargetTrackingScalingPolicyConfiguration;
    const custom = isRecord(config) && isRecord(config.CustomizedMetricSpecification) ? config.CustomizedMetricSpecification : undefined;
    const metrics =
      custom && Array.isArray(custom.Metrics) ? custom.Metrics.filter((m) => isRecord(m) && isRecord(m.MetricStat)).length : 1;
    trackingAlarmMetrics += 2 * Math.max(1, metrics);
  }
  if (standard)
    add(
      'CloudWatch alarms',
      `${standard} standard-resolution alarm metrics × ${money(usd.alarmStandardMonth)}`,
      standard * usd.alarmStandardMonth,
    );
  if (highResolution)
    add(
      'CloudWatch alarms (high resolution)',
      `${highResolution} high-resolution alarm metrics × ${money(usd.alarmHighResolutionMonth)}`,
      highResolution * usd.alarmHighResolutionMonth,
    );
  if (composite)
    add('CloudWatch composite alarms', `${composite} × ${money(usd.compositeAlarmMonth)}`, composite * usd.compositeAlarmMonth);
  if (trackingAlarmMetrics) {
    add(
      'target tracking alarms',
      `${trackingAlarmMetrics} alarm metrics Application Auto Scaling creates × ${money(usd.alarmStandardMonth)}`,
      trackingAlarmMetrics * usd.alarmStandardMonth,
    );
  }

  for (const [id] of of('AWS::CloudWatch::Dashboard'))
    add(id, `dashboard × ${money(usd.dashboardMonth)} (an account's first three are free)`, usd.dashboardMonth);
  for (const [id] of of('AWS::KMS::Key')) add(id, `customer managed KMS key × ${money(usd.kmsKeyMonth)}`, usd.kmsKeyMonth);
  for (const [id] of of('AWS::SecretsManager::Secret')) add(id, `secret × ${money(usd.secretMonth)}`, usd.secretMonth);

  const services = of('AWS::ECS::Service');
  for (const [id, cluster] of of('AWS::ECS::Cluster')) {
    const settings = Array.isArray(cluster.Properties?.ClusterSettings) ? cluster.Properties.ClusterSettings.filter(isRecord) : [];
    const insights = settings.find((s) => s.Name === 'containerInsights')?.Value;
    if (insights !== 'enabled' && insights !== 'enhanced') continue;
    const inCluster = services.filter(([, service]) => referencedIds(service.Properties?.Cluster).includes(id)).length;
    const metrics = assumptions.containerInsightsMetricsPerCluster + inCluster * assumptions.containerInsightsMetricsPerService;
    add(
      `${id} Container Insights`,
      `${metrics} metrics (cluster + ${inCluster} service(s)) × ${money(usd.customMetricMonth)}`,
      metrics * usd.customMetricMonth,
    );
  }

  // A queue service's burst path: its workers write VisibleMessages, WorkerAlive and
  // InFlightMessages through EMF at high resolution (container/worker/backlog-metric.ts), one
  // dimension value per service: three custom metrics a month each, priced as any custom
  // metric (the template tells the worker by BACKLOG_METRIC_SECONDS in its task definition).
  for (const [id, taskDefinition] of of('AWS::ECS::TaskDefinition')) {
    const containers = Array.isArray(taskDefinition.Properties?.ContainerDefinitions)
      ? taskDefinition.Properties.ContainerDefinitions.filter(isRecord)
      : [];
    const emits = containers.some(
      (c) => Array.isArray(c.Environment) && c.Environment.some((e) => isRecord(e) && e.Name === 'BACKLOG_METRIC_SECONDS'),
    );
    if (!emits) continue;
    const metrics = QUEUE_BURST_METRICS.length;
    add(
      `${id} burst metrics`,
      `${metrics} custom metrics (${QUEUE_BURST_METRICS.join(', ')}) × ${money(usd.customMetricMonth)}`,
      metrics * usd.customMetricMonth,
    );
  }

  for (const [id, service] of services) {
    const taskDefinitionId = referencedIds(service.Properties?.TaskDefinition)[0];
    const taskDefinition = taskDefinitionId ? resources[taskDefinitionId] : undefined;
    if (!taskDefinition) throw new TemplateReadError(`service ${id}: its task definition is not in the template`);
    const target = Object.values(resources).find(
      (r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' && referencedIds(r.Properties?.ResourceId).includes(id),
    );
    const tasks = target ? averageMinimum(target) : Number(service.Properties?.DesiredCount ?? 1);
    const strategy = Array.isArray(service.Properties?.CapacityProviderStrategy)
      ? service.Properties.CapacityProviderStrategy.filter(isRecord)
      : [];
    const capacity: Capacity = strategy.length && strategy.every((s) => s.CapacityProvider === 'FARGATE_SPOT') ? 'FARGATE_SPOT' : 'FARGATE';
    const platform = taskDefinition.Properties?.RuntimePlatform;
    const architecture: Architecture = isRecord(platform) && platform.CpuArchitecture === 'ARM64' ? 'ARM64' : 'X86_64';
    const cpu = Number(taskDefinition.Properties?.Cpu);
    const memory = Number(taskDefinition.Properties?.Memory);
    const taskHours = tasks * hours;
    const fargate = taskCost({ cpu, memory, seconds: 3600, capacity, architecture }, prices) * taskHours;
    add(
      id,
      `${tasks.toFixed(2)} task(s) on average (${target ? 'scaling minimum and scheduled actions' : 'desired count'}) × ${hours} h, ${cpu / 1024} vCPU ${memory / 1024} GB ${architecture} ${capacity}`,
      fargate,
    );
    const network = isRecord(service.Properties?.NetworkConfiguration)
      ? service.Properties.NetworkConfiguration.AwsvpcConfiguration
      : undefined;
    if (isRecord(network) && network.AssignPublicIp === 'ENABLED') {
      add(
        `${id} public IPv4`,
        `${tasks.toFixed(2)} address(es) × ${hours} h × ${money(usd.publicIpv4Hour)}`,
        taskHours * usd.publicIpv4Hour,
      );
    }
  }

  // Schedules: EventBridge rules and EventBridge Scheduler schedules that invoke functions.
  const schedules: Array<{ id: string; expression: string; arn: unknown; input: unknown }> = [];
  for (const [id, rule] of of('AWS::Events::Rule')) {
    const expression = rule.Properties?.ScheduleExpression;
    if (typeof expression !== 'string' || rule.Properties?.State === 'DISABLED') continue;
    for (const target of Array.isArray(rule.Properties?.Targets) ? rule.Properties.Targets.filter(isRecord) : [])
      schedules.push({ id, expression, arn: target.Arn, input: target.Input ?? target.InputTransformer });
  }
  for (const [id, schedule] of of('AWS::Scheduler::Schedule')) {
    const expression = schedule.Properties?.ScheduleExpression;
    const target = schedule.Properties?.Target;
    if (typeof expression !== 'string' || schedule.Properties?.State === 'DISABLED' || !isRecord(target)) continue;
    schedules.push({ id, expression, arn: target.Arn, input: target.Input });
  }
  const invocations = new Map<string, number>();
  for (const schedule of schedules) {
    const perMonth = firesPerMonth(schedule.expression, hours);
    const fn = targetFunction(resources, schedule.arn);
    if (perMonth === undefined || !fn) continue;
    const pipeline = pipelineOfInput(schedule.input);
    if (pipeline) scheduledRuns.push({ item: schedule.id, pipeline, perMonth });
    invocations.set(fn, (invocations.get(fn) ?? 0) + perMonth);
  }
  for (const [fn, count] of invocations) {
    const cost = lambdaUsd(lambdaSize(resources, fn), count, MEASURED.lambdaSteps.scheduledInvocationMs, prices);
    add(
      `${fn} (scheduled)`,
      `${Math.round(count)} invocations a month × ${MEASURED.lambdaSteps.scheduledInvocationMs} ms`,
      cost.requests + cost.duration,
    );
  }

  const sqsMappings = of('AWS::Lambda::EventSourceMapping').filter(
    ([, mapping]) =>
      mapping.Properties?.Enabled !== false &&
      referencedIds(mapping.Properties?.EventSourceArn).some((id) => resources[id]?.Type === 'AWS::SQS::Queue'),
  );
  if (sqsMappings.length) {
    const requests = sqsMappings.length * assumptions.sqsPollsPerMappingMonth;
    add(
      'SQS polling',
      `${sqsMappings.length} Lambda SQS mapping(s) × ${assumptions.sqsPollsPerMappingMonth} empty receives × ${money(usd.sqsRequestsPerMillion)}/M`,
      (requests / 1e6) * usd.sqsRequestsPerMillion,
    );
  }

  return { ...table(lines), scheduledRuns };
}

export const WATCHER_FUNCTION = 'S3UploadWatcherLambdaFunction';
export const FAN_IN_FUNCTION = 'KinesisFanInLambdaFunction';

/**
 * The cost of 1,000,000 accepted files on the event path: S3 notifies the watcher once per
 * file (the stack's own bucket), the watcher puts one record on the stream, the fan-in reads
 * it in its mapping's batches and records the arrival (DynamoDB), and one file in
 * `filesPerBatch` completes a batch and starts its run (the run lock and the started mark).
 * The runs themselves are priced by perRun.
 */
export function perMillionFiles(template: Template, prices: RegionPrices, measured = MEASURED.eventPath): CostTable {
  const files = 1_000_000;
  const { resources } = deployedTemplate(template);
  const { usd } = prices;
  const lines: CostLine[] = [];
  const watcher = lambdaUsd(lambdaSize(resources, WATCHER_FUNCTION), files, measured.watcherMsPerInvocation, prices);
  lines.push({ item: 'watcher requests', detail: `${files} invocations (one S3 notification per file)`, usd: watcher.requests });
  lines.push({
    item: 'watcher duration',
    detail: `${measured.watcherMsPerInvocation.toFixed(1)} ms each: ${Math.round(watcher.gbSeconds)} GB-s`,
    usd: watcher.duration,
  });

  const [streamId, stream] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Kinesis::Stream') ?? [];
  if (!stream) throw new TemplateReadError('the template has no Kinesis stream');
  const mapping = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && referencedIds(r.Properties?.EventSourceArn).includes(streamId!),
  );
  if (!mapping) throw new TemplateReadError(`no event source mapping reads ${streamId}`);
  const consumers = Object.values(resources).filter(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && referencedIds(r.Properties?.EventSourceArn).includes(streamId!),
  ).length;
  const mode = isRecord(stream.Properties?.StreamModeDetails) ? stream.Properties.StreamModeDetails.StreamMode : undefined;
  if (mode === 'ON_DEMAND') {
    const gb = (files * Math.ceil(measured.recordBytes / 1024) * 1024) / 2 ** 30;
    lines.push({
      item: 'Kinesis data in',
      detail: `${files} records of ${measured.recordBytes} B billed as 1 KB: ${gb.toFixed(3)} GB`,
      usd: gb * usd.kinesisOnDemandDataInPerGB,
    });
    lines.push({
      item: 'Kinesis data out',
      detail: `${consumers} consumer(s) × ${gb.toFixed(3)} GB`,
      usd: consumers * gb * usd.kinesisOnDemandDataOutPerGB,
    });
  } else {
    const units = files * Math.ceil(measured.recordBytes / 25_600);
    lines.push({
      item: 'Kinesis PUT payload units',
      detail: `${units} units of 25 KB`,
      usd: (units / 1e6) * usd.kinesisPutPayloadUnitsPerMillion,
    });
  }

  const batchSize = Number(mapping.Properties?.BatchSize ?? 100);
  const fanIn = lambdaUsd(lambdaSize(resources, FAN_IN_FUNCTION), files / batchSize, measured.fanInMsPerRecord * batchSize, prices);
  lines.push({ item: 'fan-in requests', detail: `${files / batchSize} invocations of ${batchSize} records`, usd: fanIn.requests });
  lines.push({
    item: 'fan-in duration',
    detail: `${measured.fanInMsPerRecord.toFixed(2)} ms a record: ${Math.round(fanIn.gbSeconds)} GB-s`,
    usd: fanIn.duration,
  });

  const writes =
    files *
    (measured.dynamoWritesPerFile +
      measured.indexWritesPerFile +
      (measured.dynamoWritesPerBatchStart + measured.indexWritesPerBatchStart) / measured.filesPerBatch);
  lines.push({
    item: 'DynamoDB writes',
    detail: `${(writes / files).toFixed(2)} write units a file (arrival ${measured.dynamoWritesPerFile} + index ${measured.indexWritesPerFile}, start ${measured.dynamoWritesPerBatchStart} + index ${measured.indexWritesPerBatchStart} per ${measured.filesPerBatch} files)`,
    usd: (writes / 1e6) * usd.dynamoDbWriteRequestUnitsPerMillion,
  });
  return table(lines);
}

export interface RunShape {
  shards: number;
  /** vCPU per task (0.25 .. 16). */
  vcpu: number;
  /** GB of memory per task. */
  memoryGb: number;
  minutes: number;
  architecture: Architecture;
  capacity: Capacity;
}

export const HEADLINE_RUN: RunShape = { shards: 1, vcpu: 0.5, memoryGb: 1, minutes: 10, architecture: 'X86_64', capacity: 'FARGATE' };

/**
 * One successful run of the given shape: each shard's Fargate task for the whole duration,
 * the execution's transitions (bench:transitions), the state machine's two Lambda steps and
 * Runs writes, and each task's public IPv4 address when the template gives tasks one.
 */
export function perRun(template: Template, prices: RegionPrices, shape: RunShape = HEADLINE_RUN, measured = MEASURED): CostTable {
  const { resources } = deployedTemplate(template);
  const { usd } = prices;
  const lines: CostLine[] = [];
  const seconds = shape.minutes * 60;
  const task = {
    cpu: shape.vcpu * 1024,
    memory: shape.memoryGb * 1024,
    seconds,
    capacity: shape.capacity,
    architecture: shape.architecture,
  };
  lines.push({
    item: 'Fargate',
    detail: `${shape.shards} task(s) × ${seconds} s × ${shape.vcpu} vCPU ${shape.memoryGb} GB ${shape.architecture} ${shape.capacity}`,
    usd: shape.shards * taskCost(task, prices),
  });
  const transitions = runTransitions({ shards: shape.shards });
  if (transitions !== measured.transitions.perRun + measured.transitions.perShard * shape.shards) {
    throw new Error(
      `runTransitions (${transitions}) disagrees with bench:transitions' ${measured.transitions.perRun} + ${measured.transitions.perShard} per shard`,
    );
  }
  lines.push({
    item: 'Step Functions',
    detail: `${transitions} transitions (${measured.transitions.perRun} + ${measured.transitions.perShard} per shard)`,
    usd: (transitions / 1000) * usd.stepFunctionsTransitionsPerThousand,
  });
  const steps = [
    ['PrepareShardTasksLambdaFunction', measured.lambdaSteps.prepareShardTasksMs],
    ['SummarizeRunLambdaFunction', measured.lambdaSteps.summarizeRunMs],
  ] as const;
  const lambda = steps.reduce((sum, [id, ms]) => {
    const cost = lambdaUsd(lambdaSize(resources, id), 1, ms, prices);
    return sum + cost.requests + cost.duration;
  }, 0);
  lines.push({
    item: 'Lambda steps',
    detail: `prepare ${measured.lambdaSteps.prepareShardTasksMs} ms + summarize ${measured.lambdaSteps.summarizeRunMs} ms`,
    usd: lambda,
  });
  // Mark Run Running and Record Run Result, each also writing the Runs index.
  lines.push({
    item: 'DynamoDB writes',
    detail: '2 Runs writes + 2 index writes',
    usd: (4 / 1e6) * usd.dynamoDbWriteRequestUnitsPerMillion,
  });
  const prepare = resources.PrepareShardTasksLambdaFunction?.Properties?.Environment;
  const publicIp = isRecord(prepare) && isRecord(prepare.Variables) && prepare.Variables.TASK_ASSIGN_PUBLIC_IP === 'ENABLED';
  if (publicIp) {
    lines.push({
      item: 'public IPv4',
      detail: `${shape.shards} address(es) × ${seconds} s`,
      usd: (shape.shards * seconds * usd.publicIpv4Hour) / 3600,
    });
  }
  return table(lines);
}
