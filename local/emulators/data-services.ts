/**
 * The AWS data services of the local cloud, each an npm emulator started in this process:
 * S3 (s3rver), Kinesis (kinesalite), DynamoDB (dynalite), SQS (local-aws-sqs).
 *
 * In memory by default (s3rver keeps files in a temporary folder removed on stop);
 * `persistDir` keeps S3, Kinesis and DynamoDB data across restarts (local-aws-sqs has
 * no storage of its own, so queues start empty). Ports are free loopback ports unless
 * fixed ports are asked for, in which case a busy port fails with what to do.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import { SafeFilesystemStore } from './s3/safe-store';
import { s3RequestGuard } from './s3/guard';

// The emulators ship without type declarations; these are the parts used here.
const kinesalite: (options: { path?: string; createStreamMs?: number; shardLimit?: number }) => Server = require('kinesalite');
const dynalite: (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server = require('dynalite');
const S3rver: new (options: Record<string, unknown>) => S3rverInstance = require('s3rver');
const { createSqsServer } = require('local-aws-sqs') as { createSqsServer: (options: Record<string, unknown>) => Promise<Server> };

// s3rver checks access keys against its own registry: accept the local cloud's keys (and the tests').
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
const S3_ACCESS_KEYS = ['local', 'test'];
for (const key of S3_ACCESS_KEYS) DUMMY_ACCOUNT.createKeyPair(key, key);

interface S3rverInstance extends EventEmitter {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  store: unknown;
  context: { store: unknown };
  middleware: unknown[];
}

export type ServiceName = 's3' | 'kinesis' | 'dynamodb' | 'sqs';

export interface EmulatorOptions {
  /** Fixed ports per service; 0 or absent picks a free one. */
  ports?: Partial<Record<ServiceName, number>>;
  /** Keep data in this folder across restarts (S3, Kinesis, DynamoDB). */
  persistDir?: string;
  region?: string;
  accountId?: string;
}

export interface Emulators {
  endpoints: Record<ServiceName, string>;
  /** s3rver's own event emitter: one S3 notification-shaped event per object write. */
  s3Events: EventEmitter;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly service: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(
      `port ${port} (${service}) is in use: stop the other local cloud (npm run local) or set LOCAL_CLOUD_PORT_BASE to a free range`,
      options,
    );
  }
}

const HOST = '127.0.0.1';

/** Listens on the port (0: free port) and resolves the bound port; a busy port is a PortInUseError. */
export function listen(server: Server, service: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(service, port, { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive sockets of SDK clients would otherwise hold close() open.
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close(() => resolve());
  });
}

const url = (port: number) => `http://${HOST}:${port}`;

/**
 * Answers a request whose handler throws with a 500 in the service's JSON error shape, instead
 * of letting the exception end the process (and every table, stream and queue with it).
 */
export function guardRequests<S extends Server>(server: S, service: string, onError: (error: unknown) => void = () => undefined): S {
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    for (const listener of listeners) {
      try {
        listener.call(server, req, res);
      } catch (error) {
        onError(error);
        if (!res.headersSent) {
          const body = JSON.stringify({
            __type: 'InternalFailure',
            message: `the local ${service} failed on this request: ${error instanceof Error ? error.message : String(error)}`,
          });
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        } else res.destroy();
      }
    }
  });
  return server;
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const ports = options.ports ?? {};
  const persist = options.persistDir;
  if (persist) for (const sub of ['s3', 'kinesis', 'dynamodb']) mkdirSync(join(persist, sub), { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    const kinesis = kinesalite({ createStreamMs: 0, shardLimit: 100, ...(persist ? { path: join(persist, 'kinesis') } : {}) });
    const kinesisPort = await listen(guardRequests(kinesis, 'Kinesis'), 'kinesis', ports.kinesis ?? 0);
    stops.push(() => closeServer(kinesis));

    const dynamo = dynalite({
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(persist ? { path: join(persist, 'dynamodb') } : {}),
    });
    const dynamoPort = await listen(guardRequests(dynamo, 'DynamoDB'), 'dynamodb', ports.dynamodb ?? 0);
    stops.push(() => closeServer(dynamo));

    const sqsPort = ports.sqs ?? 0;
    let sqs: Server;
    try {
      sqs = await createSqsServer({
        port: sqsPort,
        hostname: HOST,
        region: options.region ?? 'us-east-1',
        accountId: options.accountId ?? '000000000000',
        emulateQueueCreationLifecycle: false,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('sqs', sqsPort, { cause: error });
      throw error;
    }
    guardRequests(sqs, 'SQS');
    stops.push(() => closeServer(sqs));

    const s3Dir = persist ? join(persist, 's3') : mkdtempSync(join(tmpdir(), 'local-cloud-s3-'));
    if (!persist) stops.push(async () => rmSync(s3Dir, { recursive: true, force: true }));
    const s3 = new S3rver({
      address: HOST,
      port: ports.s3 ?? 0,
      silent: true,
      directory: s3Dir,
      resetOnClose: false,
      allowMismatchedSignatures: true,
    });
    // Keys are stored so that none can leave the data folder (s3/safe-store.ts), and what S3
    // refuses (unsigned requests, unsigned form POSTs, keys over 1,024 bytes) is refused first.
    s3.store = s3.context.store = new SafeFilesystemStore(s3Dir);
    s3.middleware.unshift(s3RequestGuard(new Map(S3_ACCESS_KEYS.map((key) => [key, key]))));
    let s3Address: AddressInfo;
    try {
      s3Address = await s3.run();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('s3', ports.s3 ?? 0, { cause: error });
      throw error;
    }
    stops.push(() => s3.close());
    guardRequests((s3 as unknown as { httpServer: Server }).httpServer, 'S3');

    return {
      endpoints: {
        s3: url(s3Address.port),
        kinesis: url(kinesisPort),
        dynamodb: url(dynamoPort),
        sqs: url((sqs.address() as AddressInfo).port),
      },
      s3Events: s3,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
