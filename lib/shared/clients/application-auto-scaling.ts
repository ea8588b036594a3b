import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { once } from './once';

export const applicationAutoScalingClient = /* @__PURE__ */ once(() => new ApplicationAutoScalingClient({}));
