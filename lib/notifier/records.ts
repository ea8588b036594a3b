/**
 * One queue record (or direct invoke) of each notifier function: parse the message, run the
 * use case, report it (metrics, one log line). A failure is reported once here, written to the
 * audit table where the use case is a discovery, and thrown, so only that record fails.
 */
import { MetricUnit } from '../shared/metrics';
import { logger, metrics } from '../shared/observability';
import type { Audited } from './deps';
import { discoverServices, type DiscoverServicesDeps, type DiscoverServicesResult } from './discover-services';
import { discoverTasks, type DiscoverTasksDeps, type DiscoverTasksResult } from './discover-tasks';
import { DeliveryInProgressError, NotifyFailedError, NotifyRejectedError, describeError } from './errors';
import { BroadcastRequestSchema, ServiceMessageSchema, TaskMessageSchema, broadcastAuditKey, serviceAuditKey } from './model';
import { notifyTask, type NotifyTaskDeps, type NotifyTaskResult } from './notify-task';
import { parseMessage } from './parse';

export interface QueueRecord {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount, for the failure log line. */
  receiveCount?: string;
}

const auditFailureLogged = (auditError: unknown) =>
  logger.error('could not record the failure in the audit table', { error: auditError as Error });

/** A broadcast request from the observer queue (`messageId`) or a direct invoke (none). */
export async function broadcastRecord(
  body: string,
  where: string,
  messageId: string | undefined,
  deps: DiscoverServicesDeps & Audited,
): Promise<DiscoverServicesResult> {
  const request = parseMessage(BroadcastRequestSchema, body, where);
  try {
    const result = await discoverServices(request, deps);
    metrics.addMetric('ServicesQueued', MetricUnit.Count, result.queued.length);
    if (result.misconfigured.length) {
      metrics.addMetric('ServicesMisconfigured', MetricUnit.Count, result.misconfigured.length);
      logger.warn('services carry unusable notify labels', { eventId: request.eventId, misconfigured: result.misconfigured });
    }
    logger.info('broadcast discovered services', { messageId, ...result });
    return result;
  } catch (error) {
    logger.error('service discovery failed', { messageId, eventId: request.eventId, error: error as Error });
    metrics.addMetric('ServiceDiscoveryFailed', MetricUnit.Count, 1);
    const failure = { kind: 'broadcast' as const, eventId: request.eventId, cluster: deps.cluster, lastError: describeError(error) };
    await deps.audit
      .recordDiscoveryFailure(broadcastAuditKey(request.eventId, deps.cluster), failure, new Date())
      .catch(auditFailureLogged);
    throw error;
  }
}

export async function serviceMessageRecord(record: QueueRecord, deps: DiscoverTasksDeps & Audited): Promise<DiscoverTasksResult> {
  const message = parseMessage(ServiceMessageSchema, record.body, `service queue message ${record.messageId}`);
  const where = { messageId: record.messageId, eventId: message.eventId, service: message.serviceName };
  try {
    const result = await discoverTasks(message, deps);
    metrics.addMetric('TasksQueued', MetricUnit.Count, result.queued);
    if (result.unaddressable.length) {
      metrics.addMetric('TasksUnaddressable', MetricUnit.Count, result.unaddressable.length);
      logger.warn('running tasks without a usable address', { ...where, unaddressable: result.unaddressable });
    }
    logger.info('service tasks discovered', { ...where, tasksListed: result.tasksListed, queued: result.queued, skipped: result.skipped });
    return result;
  } catch (error) {
    logger.error('task discovery failed', { ...where, error: error as Error });
    metrics.addMetric('TaskDiscoveryFailed', MetricUnit.Count, 1);
    const failure = {
      kind: 'service' as const,
      eventId: message.eventId,
      cluster: message.cluster,
      service: message.serviceName,
      lastError: describeError(error),
    };
    await deps.audit
      .recordDiscoveryFailure(serviceAuditKey(message.eventId, message.serviceArn), failure, new Date())
      .catch(auditFailureLogged);
    throw error;
  }
}

const FAILURE_METRIC = new Map<abstract new (...args: never[]) => Error, string>([
  [NotifyRejectedError, 'NotifyRejected'],
  [NotifyFailedError, 'NotifyFailed'],
  [DeliveryInProgressError, 'NotifyInProgressElsewhere'],
]);

export async function taskMessageRecord(record: QueueRecord, deps: NotifyTaskDeps): Promise<NotifyTaskResult> {
  const message = parseMessage(TaskMessageSchema, record.body, `task queue message ${record.messageId}`);
  const where = { messageId: record.messageId, eventId: message.eventId, service: message.serviceName, taskArn: message.taskArn };
  try {
    const result = await notifyTask(message, deps);
    metrics.addMetric(result.outcome === 'delivered' ? 'TaskNotified' : 'TaskAlreadyNotified', MetricUnit.Count, 1);
    logger.info(`task ${result.outcome}`, { ...where, ...result });
    return result;
  } catch (error) {
    const metric = [...FAILURE_METRIC].find(([type]) => error instanceof type)?.[1] ?? 'NotifyError';
    metrics.addMetric(metric, MetricUnit.Count, 1);
    logger.error('task notification failed', { ...where, receiveCount: record.receiveCount, error: error as Error });
    throw error;
  }
}
