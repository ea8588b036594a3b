/**
 * Service discovery: which services of the cluster asked for broadcasts.
 *
 * Primary course: list every service (all pages, all launch types) or take the request's
 * filter → DescribeServices in batches of 10 → DescribeTaskDefinition once per distinct
 * revision → keep ACTIVE services whose task definition has a container carrying both
 * NOTIFY_ME_CONTAINER_PORT and NOTIFY_ME_API_URI → one message per kept service.
 */
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { mapLimit } from './chunks';
import { ClusterNotAllowedError, EcsLookupError } from './errors';
import { NOTIFY_LABELS, type BroadcastRequest, type ServiceMessage } from './model';
import type { EcsReader, MessageSender, TaskDefinitionSummary } from './ports';

export interface DiscoverServicesDeps {
  ecs: EcsReader;
  serviceQueue: MessageSender;
  /** The one cluster this deployment may read (its IAM policy is scoped to it). */
  cluster: string;
  /** DescribeTaskDefinition calls in flight at once. */
  describeConcurrency?: number;
}

export interface SkippedService {
  service: string;
  reason: string;
}

export interface DiscoverServicesResult {
  eventId: string;
  cluster: string;
  servicesDescribed: number;
  taskDefinitionsDescribed: number;
  queued: string[];
  /** Services with labels that cannot be used (named so operators can fix them). */
  misconfigured: SkippedService[];
}

/** `arn:aws:ecs:region:account:cluster/NAME` or `NAME` → `NAME`. */
export function clusterName(clusterOrArn: string): string {
  const match = /^arn:[^:]+:ecs:[^:]*:[^:]*:cluster\/(.+)$/.exec(clusterOrArn);
  return match?.[1] ?? clusterOrArn;
}

export type LabelTarget =
  | { kind: 'target'; container: string; containerPort: number; uri: string }
  | { kind: 'unlabelled' }
  | { kind: 'invalid'; reason: string };

/** Reads the notify labels of a task definition: which container, which port, which path. */
export function findLabelTarget(containers: readonly ContainerDefinition[]): LabelTarget {
  const labelled = containers.filter(
    (c) => c.dockerLabels?.[NOTIFY_LABELS.port] !== undefined && c.dockerLabels?.[NOTIFY_LABELS.uri] !== undefined,
  );
  if (labelled.length === 0) return { kind: 'unlabelled' };
  if (labelled.length > 1) {
    return { kind: 'invalid', reason: `containers ${labelled.map((c) => c.name).join(', ')} all carry the notify labels; exactly one may` };
  }
  const container = labelled[0] as ContainerDefinition;
  const rawPort = container.dockerLabels?.[NOTIFY_LABELS.port] ?? '';
  const uri = container.dockerLabels?.[NOTIFY_LABELS.uri] ?? '';
  const port = /^\d+$/.test(rawPort.trim()) ? Number(rawPort.trim()) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { kind: 'invalid', reason: `container ${container.name}: ${NOTIFY_LABELS.port}="${rawPort}" is not a port number` };
  }
  if (!uri.startsWith('/') || /\s/.test(uri)) {
    return { kind: 'invalid', reason: `container ${container.name}: ${NOTIFY_LABELS.uri}="${uri}" must be a path starting with /` };
  }
  if (!container.name) return { kind: 'invalid', reason: 'labelled container has no name' };
  return { kind: 'target', container: container.name, containerPort: port, uri };
}

export async function discoverServices(request: BroadcastRequest, deps: DiscoverServicesDeps): Promise<DiscoverServicesResult> {
  const cluster = deps.cluster;
  if (request.cluster !== undefined && clusterName(request.cluster) !== clusterName(cluster)) {
    throw new ClusterNotAllowedError(
      `broadcast ${request.eventId} names cluster "${request.cluster}"; this notifier serves "${cluster}" only`,
    );
  }

  const wanted = request.services ?? (await deps.ecs.listServiceArns(cluster));
  const { services, missing } = await deps.ecs.describeServices(cluster, wanted);
  // A listed service deleted since the listing is simply gone; a service the request
  // named explicitly must exist.
  if (request.services && missing.length) {
    throw new EcsLookupError(`broadcast ${request.eventId}: services not found in ${cluster}: ${missing.join(', ')}`);
  }
  const active = services.filter((s) => s.status === 'ACTIVE' && s.taskDefinition && s.serviceArn && s.serviceName);

  const revisions = [...new Set(active.map((s) => s.taskDefinition as string))];
  const definitions = new Map<string, TaskDefinitionSummary>();
  await mapLimit(revisions, deps.describeConcurrency ?? 5, async (revision) => {
    definitions.set(revision, await deps.ecs.describeTaskDefinition(revision));
  });

  const messages: ServiceMessage[] = [];
  const misconfigured: SkippedService[] = [];
  for (const service of active) {
    const definition = definitions.get(service.taskDefinition as string) as TaskDefinitionSummary;
    const target = findLabelTarget(definition.containers);
    if (target.kind === 'unlabelled') continue;
    if (target.kind === 'invalid') {
      misconfigured.push({ service: service.serviceName as string, reason: target.reason });
      continue;
    }
    messages.push({
      eventId: request.eventId,
      cluster,
      serviceName: service.serviceName as string,
      serviceArn: service.serviceArn as string,
      taskDefinitionArn: definition.taskDefinitionArn,
      networkMode: definition.networkMode,
      container: target.container,
      containerPort: target.containerPort,
      uri: target.uri,
      payload: request.payload,
    });
  }

  await deps.serviceQueue.sendAll(messages.map((m) => ({ id: m.serviceName, body: JSON.stringify(m) })));
  return {
    eventId: request.eventId,
    cluster,
    servicesDescribed: services.length,
    taskDefinitionsDescribed: revisions.length,
    queued: messages.map((m) => m.serviceName),
    misconfigured,
  };
}
