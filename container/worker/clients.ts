/**
 * The worker's AWS clients, created once per process on first use. Endpoints come from the
 * SDK's AWS_ENDPOINT_URL(_<SERVICE>) variables, which is how the local cloud points a
 * container at its emulators. Separate from lib/shared/clients so the container bundle holds
 * only the clients a container uses.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

export const workerSfnClient = once(() => new SFNClient({}));
export const workerDynamoClient = once(() => DynamoDBDocumentClient.from(new DynamoDBClient({})));
