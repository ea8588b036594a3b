/**
 * A Secrets Manager stand-in for the local cloud: answers GetSecretValue (JSON 1.1
 * protocol) for the secrets it holds, and lets the demo rotate one with `put`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsStub {
  endpoint: string;
  put(secretId: string, value: string): void;
  calls: number;
  close(): Promise<void>;
}

export async function startSecretsStub(initial: Record<string, string> = {}): Promise<SecretsStub> {
  const secrets = new Map(Object.entries(initial));
  const versions = new Map<string, number>();
  const stub = { calls: 0 } as SecretsStub;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      };
      if (target !== 'secretsmanager.GetSecretValue') return reply(400, { __type: 'InvalidRequestException', message: `${target} is not supported locally` });
      stub.calls += 1;
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const value = input.SecretId ? secrets.get(input.SecretId) : undefined;
      if (value === undefined) return reply(400, { __type: 'ResourceNotFoundException', message: `Secrets Manager can't find the specified secret: ${input.SecretId}` });
      const version = versions.get(input.SecretId as string) ?? 1;
      return reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.SecretId}`,
        Name: input.SecretId,
        SecretString: value,
        VersionId: `v${version}`,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  stub.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.put = (secretId, value) => {
    secrets.set(secretId, value);
    versions.set(secretId, (versions.get(secretId) ?? 1) + 1);
  };
  stub.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return stub;
}
