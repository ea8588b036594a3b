import { ECSClient } from '@aws-sdk/client-ecs';
import { once } from './once';

export const ecsClient = /* @__PURE__ */ once(() => new ECSClient({}));
