import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { once } from './once';

export const cloudWatchClient = once(() => new CloudWatchClient({}));
