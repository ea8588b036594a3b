/**
 * SDK clients of the local cloud itself, pointed at its own services: the emulator quirks
 * are handled here once (Kinesis on HTTP/1.1, S3 path-style without streamed checksums).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface ServiceEndpoints {
  s3: string;
  kinesis: string;
  dynamodb: string;
  sqs: string;
  sfn?: string;
  ecs?: string;
  secretsmanager?: string;
  /** SNS, CloudWatch and Application Auto Scaling share one local endpoint (`sns` names the same URL). */
  monitoring?: string;
  sns?: string;
  /** EventBridge (PutEvents onto the stack's buses). */
  events?: string;
}

export interface LocalClients {
  s3: S3Client;
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  sqs: SQSClient;
  sfn?: SFNClient;
  secretsManager?: SecretsManagerClient;
  destroy(): void;
}

export function localClients(endpoints: ServiceEndpoints, region: string): LocalClients {
  const common = { region, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
  const s3 = new S3Client({
    ...common,
    endpoint: endpoints.s3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const kinesis = new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() });
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({ ...common, endpoint: endpoints.sqs });
  const sfn = endpoints.sfn ? new SFNClient({ ...common, endpoint: endpoints.sfn }) : undefined;
  const secretsManager = endpoints.secretsmanager ? new SecretsManagerClient({ ...common, endpoint: endpoints.secretsmanager }) : undefined;
  return {
    s3,
    kinesis,
    dynamodb,
    documents,
    sqs,
    ...(sfn ? { sfn } : {}),
    ...(secretsManager ? { secretsManager } : {}),
    destroy() {
      for (const client of [s3, kinesis, dynamodb, sqs, sfn, secretsManager]) client?.destroy();
    },
  };
}

/**
 * The environment that points an AWS SDK (in a handler, a container, the CLI) at the
 * local cloud: the SDK's own service-specific endpoint variables.
 */
export function endpointEnvironment(endpoints: ServiceEndpoints, region: string): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    ...(endpoints.sfn ? { AWS_ENDPOINT_URL_SFN: endpoints.sfn } : {}),
    ...(endpoints.ecs ? { AWS_ENDPOINT_URL_ECS: endpoints.ecs } : {}),
    ...(endpoints.secretsmanager ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsmanager } : {}),
    ...(endpoints.monitoring
      ? {
          AWS_ENDPOINT_URL_SNS: endpoints.monitoring,
          AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.monitoring,
          AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: endpoints.monitoring,
        }
      : {}),
    ...(endpoints.events ? { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.events } : {}),
    // s3rver cannot verify streamed (aws-chunked) checksums; S3 path-style is the container's own setting.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
