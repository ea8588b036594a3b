import { ECSClient } from '@aws-sdk/client-ecs';
import { once } from './once';

export const ecsClient = once(() => new ECSClient({}));
