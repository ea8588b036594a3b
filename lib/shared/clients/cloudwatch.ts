import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { once } from './once';

export const cloudWatchClient = /* @__PURE__ */ once(() => new CloudWatchClient({}));
