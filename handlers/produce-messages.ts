/**
 * Loads a queue service with sample messages (its schedule is disabled by default):
 * `sls invoke -f produceMessages --data '{"queueService":"thumbnails","count":500}'`.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '../lib/shared/logger';
import * as v from '../lib/shared/validation';
import { PRODUCE_MESSAGES_ENV, produceMessagesDeps } from '../lib/queue-services/deps';
import { UnknownQueueServiceError } from '../lib/queue-services/deployed-services';
import { produceMessages } from '../lib/queue-services/produce-messages';
import { readEnv } from '../lib/shared/config';
import { logger } from '../lib/shared/observability';

const EventSchema = v
  .object({
    queueService: v.string().min(1),
    count: v.number().int().min(1).max(10_000).default(100),
    minWorkMs: v.number().int().min(0).default(200),
    maxWorkMs: v.number().int().min(0).default(3000),
    fifoGroups: v.number().int().min(1).optional(),
  })
  .refine((e) => e.minWorkMs <= e.maxWorkMs, 'minWorkMs must not exceed maxWorkMs');

const deps = produceMessagesDeps(readEnv(PRODUCE_MESSAGES_ENV));

export const handler = middy(async (event: unknown) => {
  const input = EventSchema.parse(event);
  const target = deps.deployed[input.queueService];
  if (!target) throw new UnknownQueueServiceError(`queue service "${input.queueService}" is not deployed in this stack`);
  // A FIFO queue needs a message group: one group unless the caller spreads them.
  const isFifo = deps.settings?.[input.queueService]?.queue.type === 'fifo';
  const { queueService: _name, fifoGroups, ...work } = input;
  const result = await produceMessages({ queueUrl: target.queueUrl, ...work, fifoGroups: fifoGroups ?? (isFifo ? 1 : undefined) }, deps);
  logger.info('messages produced', { queueService: input.queueService, ...result });
  return result;
}).use(injectLambdaContext(logger));
