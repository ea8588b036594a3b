/**
 * Scheduled (hourly by default, one schedule per queue service): re-tunes the service's
 * backlog-per-task target from the last hour's processing times.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import * as v from '../lib/shared/validation';
import { UPDATE_SCALING_TARGET_ENV, updateScalingTargetDeps } from '../lib/queue-services/deps';
import { retuneQueueService } from '../lib/queue-services/retune-queue-service';
import { readEnv } from '../lib/shared/config';
import { logger, metrics } from '../lib/shared/observability';

const EventSchema = v.object({ queueService: v.string().min(1) });
const deps = updateScalingTargetDeps(readEnv(UPDATE_SCALING_TARGET_ENV));

export const handler = middy(async (event: unknown) => retuneQueueService(EventSchema.parse(event).queueService, deps))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
