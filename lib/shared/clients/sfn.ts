import { SFNClient } from '@aws-sdk/client-sfn';
import { once } from './once';

export const sfnClient = /* @__PURE__ */ once(() => new SFNClient({}));
