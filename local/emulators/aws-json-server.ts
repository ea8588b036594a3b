/**
 * A minimal AWS JSON protocol server (the `X-Amz-Target: <Prefix>.<Operation>` POST protocol
 * used by Step Functions, ECS, DynamoDB...). Real SDK clients pointed at it with `endpoint`
 * work unchanged: errors go back as HTTP 400 with `{ "__type": ..., "message": ... }`,
 * which the SDK turns into its named exception classes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import type * as z from 'zod';

/** An error the API answers with: `code` becomes `__type`, so SDK clients throw that exception name. */
export class AwsApiError extends Error {
  override readonly name = 'AwsApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Parses one operation's input, answering bad input as the service does: its own error code
 * (`ValidationException`, `InvalidParameterException`...) and a message naming the field.
 */
export const requestParser =
  (code: string) =>
  <T>(schema: z.ZodType<T>, input: unknown, op: string): T => {
    const result = schema.safeParse(input);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new AwsApiError(code, `${op}: ${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
    }
    return result.data;
  };

/** `signal` aborts when the caller goes away before the answer (a long poll it gave up on). */
export type Operation = (input: Record<string, unknown>, context: { signal: AbortSignal }) => Promise<unknown> | unknown;

export interface AwsJsonServerOptions {
  /** `AWSStepFunctions` or `AmazonEC2ContainerServiceV20141113`. */
  targetPrefix: string;
  /** `1.0` or `1.1`: only the response content type differs. */
  jsonVersion: '1.0' | '1.1';
  operations: Record<string, Operation>;
  host?: string;
  port?: number;
}

export interface RunningServer {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** The request body as text; gzip bodies (the SDK compresses large CloudWatch requests) are inflated. */
export const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers['content-encoding'] ?? '').toLowerCase() !== 'gzip') return resolve(body.toString('utf8'));
      gunzip(body, (error, inflated) => (error ? reject(error) : resolve(inflated.toString('utf8'))));
    });
    req.on('error', reject);
  });

/** Answers one request of the protocol: for a server of its own, or one that serves several protocols. */
export function awsJsonHandler(
  options: Pick<AwsJsonServerOptions, 'targetPrefix' | 'jsonVersion' | 'operations'>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body ?? {});
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': crypto.randomUUID(),
    });
    res.end(text);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, op] = target.split('.');
    const operation = prefix === options.targetPrefix && op ? options.operations[op] : undefined;
    const raw = await readBody(req);
    if (!operation) {
      send(res, 400, {
        __type: 'UnknownOperationException',
        message: `Operation "${target}" is not supported by this local emulator (prefix ${options.targetPrefix}; supported: ${Object.keys(options.operations).join(', ')})`,
      });
      return;
    }
    let input: unknown;
    try {
      input = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      send(res, 400, { __type: 'SerializationException', message: `${op}: request body is not JSON` });
      return;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      send(res, 400, { __type: 'SerializationException', message: `${op}: request body must be a JSON object` });
      return;
    }
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    try {
      send(res, 200, await operation(input as Record<string, unknown>, { signal: gone.signal }));
    } catch (error) {
      if (error instanceof AwsApiError) send(res, error.status, { __type: error.code, message: error.message });
      else
        send(res, 500, { __type: 'InternalFailure', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  };
  return (req, res) =>
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { __type: 'InternalFailure', message: String(error) });
      else res.destroy();
    });
}

export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<RunningServer> {
  const handler = awsJsonHandler(options);
  const server: Server = createServer((req, res) => void handler(req, res));
  // SDK clients keep connections alive; close them on stop so tests end promptly.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    endpoint: `http://${address}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Field readers for request bodies: a wrong type is the caller's error, named with its field. */
export const field = {
  string(input: Record<string, unknown>, name: string, code = 'InvalidParameterException'): string {
    const v = input[name];
    if (typeof v !== 'string' || v === '') throw new AwsApiError(code, `${name} is required and must be a non-empty string`);
    return v;
  },
  optionalString(input: Record<string, unknown>, name: string, code = 'InvalidParameterException'): string | undefined {
    const v = input[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new AwsApiError(code, `${name} must be a string`);
    return v;
  },
  optionalNumber(input: Record<string, unknown>, name: string, code = 'InvalidParameterException'): number | undefined {
    const v = input[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') throw new AwsApiError(code, `${name} must be a number`);
    return v;
  },
};
