/**
 * The sender's half of the notify protocol. The receiver's half is
 * container/worker/notify-receiver.ts, which has no dependency on lib/ (it ships in
 * containers); tests sign here and verify there so the two cannot drift.
 *
 * Signature: hex HMAC-SHA256 over `${timestamp}.${idempotencyKey}.${body}`. The
 * idempotency key is signed too, so a captured request cannot be replayed under a
 * fresh key inside the five-minute window.
 */
import { createHmac } from 'node:crypto';

export const NOTIFY_HEADERS = {
  signature: 'x-notify-signature',
  timestamp: 'x-notify-timestamp',
  idempotencyKey: 'x-notify-idempotency-key',
} as const;

export const SIGNATURE_VERSION = 'v1';

export function signNotification(key: string, timestampSeconds: number, idempotencyKey: string, body: string): string {
  const mac = createHmac('sha256', key).update(`${timestampSeconds}.${idempotencyKey}.${body}`).digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

/** The headers of one notification, signed with the key current at send time. */
export function notificationHeaders(key: string, nowMs: number, idempotencyKey: string, body: string): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    [NOTIFY_HEADERS.timestamp]: String(timestamp),
    [NOTIFY_HEADERS.idempotencyKey]: idempotencyKey,
    [NOTIFY_HEADERS.signature]: signNotification(key, timestamp, idempotencyKey, body),
  };
}
