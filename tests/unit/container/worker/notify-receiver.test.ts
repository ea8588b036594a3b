import * as z from 'zod';
import { createNotifyReceiver, NOTIFY_RECEIVER_HEADERS, NotifyVerificationError } from '../../../../container/worker/notify-receiver';
import { NOTIFY_HEADERS, notificationHeaders } from '../../../../lib/notifier/signing';

const KEY = 'k'.repeat(48);
const OLD_KEY = 'o'.repeat(48);
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const body = JSON.stringify({ action: 'reload', version: 3 });
const KEY_ID = 'evt-1#arn:aws:ecs:us-east-1:111122223333:task/c/abc';

function receiverAt(nowMs: { value: number }, options: Partial<Parameters<typeof createNotifyReceiver>[0]> = {}) {
  return createNotifyReceiver({ secrets: [KEY], nowMs: () => nowMs.value, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<NotifyVerificationError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NotifyVerificationError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('notify receiver', () => {
  it('uses the same header names as the sender', () => {
    expect(NOTIFY_RECEIVER_HEADERS).toEqual(NOTIFY_HEADERS);
  });

  it('accepts a notification signed by the notifier and parses the payload', async () => {
    const now = { value: T0 };
    const outcome = await receiverAt(now).receive(notificationHeaders(KEY, T0, KEY_ID, body), body);
    expect(outcome).toEqual({
      kind: 'fresh',
      notification: { idempotencyKey: KEY_ID, timestamp: T0 / 1000, payload: { action: 'reload', version: 3 } },
    });
  });

  it('rejects a wrong key, a changed body and a changed idempotency key as bad signatures', async () => {
    const now = { value: T0 };
    const receiver = receiverAt(now);
    const signed = notificationHeaders(KEY, T0, KEY_ID, body);
    expect((await rejection(receiver.receive(notificationHeaders('x'.repeat(48), T0, KEY_ID, body), body))).reason).toBe('bad-signature');
    expect((await rejection(receiver.receive(signed, body.replace('3', '4')))).status).toBe(401);
    const otherKey = { ...signed, [NOTIFY_HEADERS.idempotencyKey]: 'evt-2#other' };
    expect((await rejection(receiver.receive(otherKey, body))).reason).toBe('bad-signature');
    const garbage = { ...signed, [NOTIFY_HEADERS.signature]: 'v1=zz' };
    expect((await rejection(receiver.receive(garbage, body))).reason).toBe('bad-signature');
  });

  it('accepts the previous key during a rotation', async () => {
    const now = { value: T0 };
    const receiver = receiverAt(now, { secrets: () => [KEY, OLD_KEY] });
    await expect(receiver.receive(notificationHeaders(OLD_KEY, T0, KEY_ID, body), body)).resolves.toMatchObject({ kind: 'fresh' });
  });

  it('rejects requests older than five minutes or too far ahead', async () => {
    const now = { value: T0 + 301_000 };
    const receiver = receiverAt(now);
    const stale = await rejection(receiver.receive(notificationHeaders(KEY, T0, KEY_ID, body), body));
    expect(stale).toMatchObject({ reason: 'stale', status: 401 });
    now.value = T0 + 299_000;
    await expect(receiver.receive(notificationHeaders(KEY, T0, KEY_ID, body), body)).resolves.toMatchObject({ kind: 'fresh' });
    now.value = T0 - 120_000;
    expect((await rejection(receiver.receive(notificationHeaders(KEY, T0, 'k2', body), body))).reason).toBe('stale');
  });

  it('does not process a replayed idempotency key twice, even re-signed later', async () => {
    const now = { value: T0 };
    const receiver = receiverAt(now);
    const first = await receiver.receive(notificationHeaders(KEY, T0, KEY_ID, body), body);
    expect(first.kind).toBe('fresh');
    // While the first is being handled, the same key is in flight.
    await expect(receiver.receive(notificationHeaders(KEY, T0, KEY_ID, body), body)).resolves.toEqual({
      kind: 'in-flight',
      idempotencyKey: KEY_ID,
    });
    receiver.settle(KEY_ID, true);
    now.value = T0 + 60_000;
    await expect(receiver.receive(notificationHeaders(KEY, now.value, KEY_ID, body), body)).resolves.toEqual({
      kind: 'duplicate',
      idempotencyKey: KEY_ID,
    });
  });

  it('forgets a key whose handling failed, so the retry is processed', async () => {
    const now = { value: T0 };
    const receiver = receiverAt(now);
    await receiver.receive(notificationHeaders(KEY, T0, KEY_ID, body), body);
    receiver.settle(KEY_ID, false);
    await expect(receiver.receive(notificationHeaders(KEY, T0, KEY_ID, body), body)).resolves.toMatchObject({ kind: 'fresh' });
  });

  it('keeps the replay cache bounded', async () => {
    const now = { value: T0 };
    const receiver = receiverAt(now, { replayCacheSize: 3 });
    for (let i = 0; i < 10; i += 1) {
      await receiver.receive(notificationHeaders(KEY, T0, `key-${i}`, body), body);
      receiver.settle(`key-${i}`, true);
    }
    expect(receiver.cacheSize).toBe(3);
  });

  it('validates the payload with the given schema and rejects missing headers', async () => {
    const now = { value: T0 };
    const receiver = createNotifyReceiver({
      secrets: [KEY],
      nowMs: () => now.value,
      payloadSchema: z.strictObject({ action: z.enum(['reload', 'flush']) }),
    });
    const invalid = await rejection(receiver.receive(notificationHeaders(KEY, T0, KEY_ID, body), body));
    expect(invalid).toMatchObject({ reason: 'invalid-payload', status: 400 });
    expect(invalid.message).toMatch(/version/);
    const missing = await rejection(receiver.receive({ [NOTIFY_HEADERS.timestamp]: '1' }, body));
    expect(missing.message).toMatch(/x-notify-signature, x-notify-idempotency-key/);
  });
});
