/**
 * The HMAC key from Secrets Manager: the AWSCURRENT version, cached for a short TTL so a
 * rotation reaches every warm function within that time without a call per message.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SigningKeyError } from '../errors';
import type { Clock, SigningKeySource } from '../ports';

export interface SigningKeyOptions {
  secretId: string;
  ttlMs: number;
  clock: Clock;
}

export function createSigningKeySource(client: SecretsManagerClient, options: SigningKeyOptions): SigningKeySource {
  let cached: { key: string; fetchedAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const fetchKey = async (): Promise<string> => {
    const out = await client.send(new GetSecretValueCommand({ SecretId: options.secretId, VersionStage: 'AWSCURRENT' }));
    const key = out.SecretString;
    if (!key || key.length < 32) {
      throw new SigningKeyError(
        `secret ${options.secretId} has no SecretString of at least 32 characters (binary secrets are not supported)`,
      );
    }
    cached = { key, fetchedAt: options.clock.now().getTime() };
    return key;
  };

  return {
    async currentKey() {
      if (cached && options.clock.now().getTime() - cached.fetchedAt < options.ttlMs) return cached.key;
      // One fetch for all records of a batch that ask at once.
      inFlight ??= fetchKey().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
