/**
 * AWS SDK clients, each created once per process on first use. Endpoints come from the
 * SDK's own `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the
 * local cloud points the same code at its emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

export const dynamoDocumentClient = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
);

// HTTP/1.1 handler: Kinesis' default HTTP/2 handler is only needed for SubscribeToShard,
// and the local Kinesis emulator speaks HTTP/1.1 only.
export const kinesisClient = once(() => new KinesisClient({ requestHandler: new NodeHttpHandler() }));

export const sfnClient = once(() => new SFNClient({}));

export const sqsClient = once(() => new SQSClient({}));

export const cloudWatchClient = once(() => new CloudWatchClient({}));

export const applicationAutoScalingClient = once(() => new ApplicationAutoScalingClient({}));

export const ecsClient = once(() => new ECSClient({}));

export const ec2Client = once(() => new EC2Client({}));

export const secretsManagerClient = once(() => new SecretsManagerClient({}));

export const snsClient = once(() => new SNSClient({}));
