import { SNSClient } from '@aws-sdk/client-sns';
import { once } from './once';

export const snsClient = once(() => new SNSClient({}));
