import { SQSClient } from '@aws-sdk/client-sqs';
import { once } from './once';

export const sqsClient = /* @__PURE__ */ once(() => new SQSClient({}));
