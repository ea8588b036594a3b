import { EC2Client } from '@aws-sdk/client-ec2';
import { once } from './once';

export const ec2Client = once(() => new EC2Client({}));
