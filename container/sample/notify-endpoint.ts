/**
 * The sample container's notify endpoint: a long-running HTTP listener that receives the
 * ECS service task notifier's broadcasts. The task definition labels its container with
 *   NOTIFY_ME_CONTAINER_PORT = "8080"   (or NOTIFY_PORT)
 *   NOTIFY_ME_API_URI        = "/notify" (or NOTIFY_PATH)
 * and passes the HMAC key from the notifier's secret as NOTIFY_HMAC_SECRET (ECS `secrets`
 * valueFrom the secret ARN). During a key rotation, set NOTIFY_HMAC_PREVIOUS_SECRET too.
 *
 * Start: `node scripts/run-ts.mjs container/sample/notify-endpoint-main.ts` (the process entry).
 * Each accepted notification is one JSON line on stdout (CloudWatch Logs in ECS).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNotifyReceiver, type VerifiedNotification } from '../worker/notify-receiver';

export interface NotifyEndpointOptions {
  host: string;
  port: number;
  path: string;
  secrets: readonly string[];
  /** What to do with a notification; the sample only logs it. */
  onNotification?: (notification: VerifiedNotification<Record<string, unknown>>) => void | Promise<void>;
  log?: (line: Record<string, unknown>) => void;
}

export interface NotifyEndpoint {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export const stdoutLog = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
};

export async function startNotifyEndpoint(options: NotifyEndpointOptions): Promise<NotifyEndpoint> {
  const log = options.log ?? stdoutLog;
  const receiver = createNotifyReceiver({ secrets: options.secrets });
  const onNotify = receiver.listener(async (notification) => {
    log({
      msg: 'notification received',
      idempotencyKey: notification.idempotencyKey,
      signedAt: notification.timestamp,
      payload: notification.payload,
    });
    await options.onNotification?.(notification);
  });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === options.path.split('?')[0]) return onNotify(req, res);
    if (req.method === 'GET' && path === '/health') return void res.writeHead(200).end('ok');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}${options.path}`;
  log({ msg: 'notify endpoint listening', url });
  return {
    server,
    url,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** Reads the endpoint's settings from the environment, naming any that is wrong. */
export function endpointOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): NotifyEndpointOptions {
  const secret = env.NOTIFY_HMAC_SECRET;
  if (!secret) throw new Error('NOTIFY_HMAC_SECRET is not set (the notifier secret, injected through the task definition)');
  const port = Number(env.NOTIFY_PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`NOTIFY_PORT="${env.NOTIFY_PORT}" is not a port number`);
  const path = env.NOTIFY_PATH ?? '/notify';
  if (!path.startsWith('/')) throw new Error(`NOTIFY_PATH="${path}" must start with /`);
  return {
    host: env.NOTIFY_HOST ?? '0.0.0.0',
    port,
    path,
    secrets: [secret, ...(env.NOTIFY_HMAC_PREVIOUS_SECRET ? [env.NOTIFY_HMAC_PREVIOUS_SECRET] : [])],
  };
}
