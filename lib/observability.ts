/**
 * One logger and one metrics instance per function, shared by every module of it.
 * Service name comes from POWERTOOLS_SERVICE_NAME, namespace from POWERTOOLS_METRICS_NAMESPACE.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger();
export const metrics = new Metrics();
