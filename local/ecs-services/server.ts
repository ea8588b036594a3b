/**
 * A small ECS endpoint (JSON 1.1 protocol) serving the local services' read operations,
 * for `AWS_ENDPOINT_URL_ECS`. It counts calls per operation (the benchmark reads them).
 * The local ECS (local/ecs) can instead mount `ecsServicesRoute` from api.ts on its own server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ECS_TARGET_PREFIX, LocalEcsError, ecsServicesRoute } from './api';
import type { LocalEcsRegistry } from './registry';

export interface LocalEcsServicesServer {
  endpoint: string;
  calls: Map<string, number>;
  close(): Promise<void>;
}

export async function startLocalEcsServicesServer(registry: LocalEcsRegistry, port = 0): Promise<LocalEcsServicesServer> {
  const route = ecsServicesRoute(registry);
  const calls = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(ECS_TARGET_PREFIX) ? target.slice(ECS_TARGET_PREFIX.length) : target;
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      try {
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        const output = route(operation, input);
        if (output === undefined) return reply(400, { __type: 'UnknownOperationException', message: `${operation} is not served by the local ECS services endpoint` });
        return reply(200, output);
      } catch (error) {
        if (error instanceof LocalEcsError) return reply(400, { __type: error.type, message: error.message });
        return reply(500, { __type: 'ServerException', message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
