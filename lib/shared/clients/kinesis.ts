import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { once } from './once';

// HTTP/1.1 handler: Kinesis' default HTTP/2 handler is only needed for SubscribeToShard,
// and the local Kinesis emulator speaks HTTP/1.1 only.
export const kinesisClient = /* @__PURE__ */ once(() => new KinesisClient({ requestHandler: new NodeHttpHandler() }));
