import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { once } from './once';

export const secretsManagerClient = /* @__PURE__ */ once(() => new SecretsManagerClient({}));
