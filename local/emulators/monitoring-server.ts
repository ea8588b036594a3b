/**
 * One local endpoint for the services that watch the stack: SNS (AWS Query, form-encoded),
 * CloudWatch (AWS JSON 1.0) and Application Auto Scaling (AWS JSON 1.1). Each request is
 * routed by its protocol: an `X-Amz-Target` header names a JSON service, a form body is SNS.
 * AWS_ENDPOINT_URL_SNS, _CLOUDWATCH and _APPLICATION_AUTO_SCALING all point here.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { awsJsonHandler } from './aws-json-server';
import { AUTOSCALING_TARGET_PREFIX, autoScalingOperations, type ScalingPolicies } from './application-auto-scaling/api';
import { CLOUDWATCH_TARGET_PREFIX, cloudWatchOperations } from './cloudwatch/api';
import type { LocalAlarms } from './cloudwatch/alarms';
import type { MetricStore } from './cloudwatch/metrics';
import { closeServer, listen } from './data-services';
import type { LocalSns } from './sns/local-sns';
import { snsQueryHandler } from './sns/query-api';

export interface MonitoringServer {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startMonitoringServer(options: {
  port: number;
  sns: LocalSns;
  metrics: MetricStore;
  alarms: LocalAlarms;
  scalingPolicies: ScalingPolicies;
  /** Names the caller of a Publish (the local cloud knows its functions by their credentials... or not at all). */
  publisherOf?: (req: IncomingMessage) => string | undefined;
}): Promise<MonitoringServer> {
  const cloudWatch = awsJsonHandler({
    targetPrefix: CLOUDWATCH_TARGET_PREFIX,
    jsonVersion: '1.0',
    operations: cloudWatchOperations(options.metrics, options.alarms),
  });
  const autoScaling = awsJsonHandler({
    targetPrefix: AUTOSCALING_TARGET_PREFIX,
    jsonVersion: '1.1',
    operations: autoScalingOperations(options.scalingPolicies),
  });
  const sns = snsQueryHandler(options.sns, options.publisherOf);
  const route = (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith(`${CLOUDWATCH_TARGET_PREFIX}.`)) return cloudWatch(req, res);
    if (target.startsWith(`${AUTOSCALING_TARGET_PREFIX}.`)) return autoScaling(req, res);
    return sns(req, res);
  };
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`local monitoring endpoint error: ${String(error)}`);
    });
  });
  server.keepAliveTimeout = 1_000;
  const port = await listen(server, 'monitoring', options.port);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
