import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { QueueSendError } from '../../../../lib/notifier/errors';
import { createQueueSender, packBatches } from '../../../../lib/notifier/adapters/queues';
import { createSigningKeySource } from '../../../../lib/notifier/adapters/signing-secret';

const secrets = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);

beforeEach(() => {
  secrets.reset();
  sqs.reset();
});

describe('signing key source', () => {
  it('reads AWSCURRENT once per TTL and picks up a rotated key after it', async () => {
    let now = 0;
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'a'.repeat(64) })
      .resolves({ SecretString: 'b'.repeat(64) });
    const keys = createSigningKeySource(new SecretsManagerClient({}), {
      secretId: 'notify-key',
      ttlMs: 60_000,
      clock: { now: () => new Date(now) },
    });

    const first = await Promise.all([keys.currentKey(), keys.currentKey(), keys.currentKey()]);
    now = 59_000;
    const cached = await keys.currentKey();
    now = 61_000;
    const rotated = await keys.currentKey();

    expect(first).toEqual(['a'.repeat(64), 'a'.repeat(64), 'a'.repeat(64)]);
    expect(cached).toBe('a'.repeat(64));
    expect(rotated).toBe('b'.repeat(64));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: 'notify-key', VersionStage: 'AWSCURRENT' });
  });

  it('refuses a short key, naming the secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    const keys = createSigningKeySource(new SecretsManagerClient({}), {
      secretId: 'notify-key',
      ttlMs: 1,
      clock: { now: () => new Date() },
    });
    await expect(keys.currentKey()).rejects.toThrow(/notify-key/);
  });
});

describe('queue sender', () => {
  it('packs 10 entries per batch and stays under 256 KiB', () => {
    const small = Array.from({ length: 25 }, (_, i) => ({ id: `m${i}`, body: 'x' }));
    expect(packBatches(small).map((b) => b.length)).toEqual([10, 10, 5]);
    const big = Array.from({ length: 4 }, (_, i) => ({ id: `b${i}`, body: 'y'.repeat(100 * 1024) }));
    expect(packBatches(big).map((b) => b.length)).toEqual([2, 2]);
  });

  it('re-sends only the entries that failed, then gives up naming the messages', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: 'm0', MessageId: '1', MD5OfMessageBody: '' }],
        Failed: [{ Id: 'm1', Code: 'InternalError', SenderFault: false }],
      })
      .resolves({ Successful: [], Failed: [{ Id: 'm0', Code: 'InternalError', SenderFault: false }] });
    const sender = createQueueSender(new SQSClient({}), 'http://q');

    await expect(
      sender.sendAll([
        { id: 'task-a', body: 'a' },
        { id: 'task-b', body: 'b' },
      ]),
    ).rejects.toThrow(QueueSendError);

    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(3);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.MessageBody)).toEqual(['b']);
  });
});
