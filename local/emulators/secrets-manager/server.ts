/**
 * A local Secrets Manager (AWS JSON 1.1, `X-Amz-Target: secretsmanager.<Op>`): CreateSecret,
 * GetSecretValue (by name or ARN, the AWSCURRENT version), PutSecretValue (a rotation: the
 * previous value becomes AWSPREVIOUS) and DescribeSecret. Enough for the notifier's signing
 * key and anything else that reads a secret; values stay in memory.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { AwsApiError, startAwsJsonServer, requestParser } from '../aws-json-server';

/** Secrets Manager appends six random characters to a secret's ARN; locally they derive from the name. */
export const secretArn = (region: string, accountId: string, name: string): string =>
  `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${createHash('sha256').update(name).digest('hex').slice(0, 6)}`;

interface SecretVersion {
  id: string;
  value: string;
  createdAt: Date;
}

interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  createdAt: Date;
  current: SecretVersion;
  previous?: SecretVersion;
}

export interface LocalSecretsManager {
  endpoint: string;
  /** API calls per operation since start. */
  calls: Map<string, number>;
  stop(): Promise<void>;
}

const parse = requestParser('InvalidParameterException');

const Requests = {
  CreateSecret: z.object({ Name: z.string().min(1).max(512), SecretString: z.string().min(1), Description: z.string().optional() }),
  GetSecretValue: z.object({ SecretId: z.string().min(1), VersionStage: z.enum(['AWSCURRENT', 'AWSPREVIOUS']).optional() }),
  PutSecretValue: z.object({ SecretId: z.string().min(1), SecretString: z.string().min(1) }),
  DescribeSecret: z.object({ SecretId: z.string().min(1) }),
};

export async function startLocalSecretsManager(
  options: { port?: number; region?: string; accountId?: string } = {},
): Promise<LocalSecretsManager> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const secrets = new Map<string, StoredSecret>();
  const calls = new Map<string, number>();
  const find = (id: string): StoredSecret => {
    const secret = secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);
    if (!secret) throw new AwsApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };
  const version = (value: string): SecretVersion => ({ id: randomUUID(), value, createdAt: new Date() });
  const seconds = (d: Date) => d.getTime() / 1000;
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateSecret: (input) => {
      const req = parse(Requests.CreateSecret, input, 'CreateSecret');
      if (secrets.has(req.Name))
        throw new AwsApiError('ResourceExistsException', `The operation failed because the secret ${req.Name} already exists.`);
      const secret: StoredSecret = {
        name: req.Name,
        arn: secretArn(region, accountId, req.Name),
        createdAt: new Date(),
        current: version(req.SecretString),
        ...(req.Description ? { description: req.Description } : {}),
      };
      secrets.set(req.Name, secret);
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.current.id };
    },
    GetSecretValue: (input) => {
      const req = parse(Requests.GetSecretValue, input, 'GetSecretValue');
      const secret = find(req.SecretId);
      const wanted = req.VersionStage === 'AWSPREVIOUS' ? secret.previous : secret.current;
      if (!wanted)
        throw new AwsApiError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for staging label: ${req.VersionStage}`,
        );
      return {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: wanted.value,
        VersionId: wanted.id,
        VersionStages: [req.VersionStage ?? 'AWSCURRENT'],
        CreatedDate: seconds(wanted.createdAt),
      };
    },
    PutSecretValue: (input) => {
      const req = parse(Requests.PutSecretValue, input, 'PutSecretValue');
      const secret = find(req.SecretId);
      secret.previous = secret.current;
      secret.current = version(req.SecretString);
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.current.id, VersionStages: ['AWSCURRENT'] };
    },
    DescribeSecret: (input) => {
      const secret = find(parse(Requests.DescribeSecret, input, 'DescribeSecret').SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        ...(secret.description ? { Description: secret.description } : {}),
        CreatedDate: seconds(secret.createdAt),
      };
    },
  };
  const server = await startAwsJsonServer({
    targetPrefix: 'secretsmanager',
    jsonVersion: '1.1',
    ...(options.port !== undefined ? { port: options.port } : {}),
    operations: Object.fromEntries(
      Object.entries(operations).map(([name, operation]) => [
        name,
        (input: Record<string, unknown>) => {
          calls.set(name, (calls.get(name) ?? 0) + 1);
          return operation(input);
        },
      ]),
    ),
  });
  return { endpoint: server.endpoint, calls, stop: () => server.stop() };
}
