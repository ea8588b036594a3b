import { EC2Client } from '@aws-sdk/client-ec2';
import { once } from './once';

export const ec2Client = /* @__PURE__ */ once(() => new EC2Client({}));
