import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { once } from './once';

export const applicationAutoScalingClient = once(() => new ApplicationAutoScalingClient({}));
