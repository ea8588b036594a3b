/**
 * The receiving side of the ECS service task notifier, for any Node container: plain
 * node:http, zod, node:crypto; nothing from lib/ (containers do not ship it).
 *
 * A request is accepted when
 *  1. its signature `v1=<hex HMAC-SHA256 of "${timestamp}.${idempotencyKey}.${body}">`
 *     matches one of the keys (current and, during a rotation, previous), compared with
 *     timingSafeEqual;
 *  2. its timestamp is at most five minutes old (and not more than a minute ahead);
 *  3. its idempotency key (event id + task ARN) was not seen before; a bounded in-memory
 *     cache remembers keys for an hour (longer than the notifier's queue redelivery);
 *  4. its body parses as JSON and matches the payload schema.
 * Checks run in that order, so an unsigned request can neither probe nor poison the cache.
 *
 * Answers: 204 processed; 200 `{"status":"duplicate"}` for a replayed key, without calling
 * the handler again (the notifier re-sends with the same key after a crash and must see
 * success); 503 + Retry-After while the same key is still being processed; 401 bad
 * signature or stale; 400 malformed or invalid payload; 413 body too large; 500 when the
 * handler threw (the key is forgotten so the notifier's retry is processed).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';

export const NOTIFY_RECEIVER_HEADERS = {
  signature: 'x-notify-signature',
  timestamp: 'x-notify-timestamp',
  idempotencyKey: 'x-notify-idempotency-key',
} as const;

export type RejectReason = 'bad-signature' | 'stale' | 'malformed' | 'invalid-payload' | 'too-large';

export class NotifyVerificationError extends Error {
  override readonly name = 'NotifyVerificationError';
  constructor(
    readonly reason: RejectReason,
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface VerifiedNotification<T> {
  idempotencyKey: string;
  /** Epoch seconds the notifier signed at. */
  timestamp: number;
  payload: T;
}

export interface NotifyReceiverOptions<T> {
  /** HMAC keys, current first; during a rotation also the previous one. A function is asked per request. */
  secrets: readonly string[] | (() => readonly string[] | Promise<readonly string[]>);
  payloadSchema?: z.ZodType<T>;
  maxAgeSeconds?: number;
  maxFutureSkewSeconds?: number;
  replayCacheSize?: number;
  replayTtlSeconds?: number;
  maxBodyBytes?: number;
  nowMs?: () => number;
}

export type ReceiveOutcome<T> =
  | { kind: 'fresh'; notification: VerifiedNotification<T> }
  | { kind: 'duplicate' | 'in-flight'; idempotencyKey: string };

const header = (headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Seen idempotency keys, oldest first; bounded in size and age. */
class ReplayCache {
  private readonly entries = new Map<string, { state: 'in-flight' | 'done'; expiresAt: number }>();
  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
  ) {}

  state(key: string, now: number): 'in-flight' | 'done' | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.state;
  }

  begin(key: string, now: number): void {
    // Entries go in time order, so expired ones are at the front.
    for (const [oldKey, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size < this.capacity) break;
      this.entries.delete(oldKey);
    }
    this.entries.set(key, { state: 'in-flight', expiresAt: now + this.ttlMs });
  }

  finish(key: string, ok: boolean): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (ok) entry.state = 'done';
    else this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

export interface NotifyReceiver<T> {
  /** Checks signature, age, replay and payload; marks the key in-flight when fresh. */
  receive(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, body: string): Promise<ReceiveOutcome<T>>;
  /** Marks a fresh notification processed (or forgets it when processing failed). */
  settle(idempotencyKey: string, ok: boolean): void;
  /** A node:http request listener for one path's requests: verifies, calls `onNotification`, answers. */
  listener(
    onNotification: (notification: VerifiedNotification<T>) => void | Promise<void>,
  ): (req: IncomingMessage, res: ServerResponse) => void;
  readonly cacheSize: number;
}

export function createNotifyReceiver<T = Record<string, unknown>>(options: NotifyReceiverOptions<T>): NotifyReceiver<T> {
  const schema = (options.payloadSchema ?? z.record(z.string(), z.unknown())) as z.ZodType<T>;
  const maxAge = options.maxAgeSeconds ?? 300;
  const maxSkew = options.maxFutureSkewSeconds ?? 60;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const nowMs = options.nowMs ?? Date.now;
  const cache = new ReplayCache(options.replayCacheSize ?? 10_000, (options.replayTtlSeconds ?? 3600) * 1000);
  const keys = async (): Promise<readonly string[]> => (typeof options.secrets === 'function' ? options.secrets() : options.secrets);

  const verifySignature = async (timestamp: string, idempotencyKey: string, body: string, signature: string): Promise<boolean> => {
    const match = /^v1=([0-9a-f]{64})$/.exec(signature);
    if (!match) return false;
    const given = Buffer.from(match[1] as string, 'hex');
    let ok = false;
    for (const key of await keys()) {
      const expected = createHmac('sha256', key).update(`${timestamp}.${idempotencyKey}.${body}`).digest();
      // Every key is compared, so timing does not tell which one matched.
      ok = timingSafeEqual(expected, given) || ok;
    }
    return ok;
  };

  const receive: NotifyReceiver<T>['receive'] = async (headers, body) => {
    const signature = header(headers, NOTIFY_RECEIVER_HEADERS.signature);
    const timestamp = header(headers, NOTIFY_RECEIVER_HEADERS.timestamp);
    const idempotencyKey = header(headers, NOTIFY_RECEIVER_HEADERS.idempotencyKey);
    if (!signature || !timestamp || !idempotencyKey) {
      const missing = Object.values(NOTIFY_RECEIVER_HEADERS).filter((name) => !header(headers, name));
      throw new NotifyVerificationError('malformed', 400, `missing header(s): ${missing.join(', ')}`);
    }
    if (!/^\d{1,12}$/.test(timestamp))
      throw new NotifyVerificationError('malformed', 400, `${NOTIFY_RECEIVER_HEADERS.timestamp} is not epoch seconds`);
    if (!(await verifySignature(timestamp, idempotencyKey, body, signature))) {
      throw new NotifyVerificationError('bad-signature', 401, 'signature does not match');
    }
    const now = nowMs();
    const age = now / 1000 - Number(timestamp);
    if (age > maxAge || age < -maxSkew) {
      throw new NotifyVerificationError(
        'stale',
        401,
        `timestamp is ${Math.round(age)} s old; accepted: up to ${maxAge} s old, ${maxSkew} s ahead`,
      );
    }
    const seen = cache.state(idempotencyKey, now);
    if (seen === 'done') return { kind: 'duplicate', idempotencyKey };
    if (seen === 'in-flight') return { kind: 'in-flight', idempotencyKey };
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      throw new NotifyVerificationError('malformed', 400, 'body is not JSON', { cause: error });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw new NotifyVerificationError('invalid-payload', 400, `payload: ${problems}`);
    }
    cache.begin(idempotencyKey, now);
    return { kind: 'fresh', notification: { idempotencyKey, timestamp: Number(timestamp), payload: parsed.data } };
  };

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          reject(new NotifyVerificationError('too-large', 413, `body over ${maxBody} bytes`));
          req.resume();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const answer = (res: ServerResponse, status: number, body?: Record<string, unknown>, headers: Record<string, string> = {}): void => {
    if (body) res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    else res.writeHead(status, headers).end();
  };

  return {
    receive,
    settle: (key, ok) => cache.finish(key, ok),
    get cacheSize() {
      return cache.size;
    },
    listener(onNotification) {
      return (req, res) => {
        void (async () => {
          if (req.method !== 'POST') return answer(res, 405, { error: 'POST only' }, { allow: 'POST' });
          let outcome: ReceiveOutcome<T>;
          try {
            outcome = await receive(req.headers, await readBody(req));
          } catch (error) {
            if (error instanceof NotifyVerificationError) return answer(res, error.status, { error: error.reason, message: error.message });
            return answer(res, 500, { error: 'internal' });
          }
          if (outcome.kind !== 'fresh') {
            if (outcome.kind === 'duplicate') return answer(res, 200, { status: 'duplicate' });
            return answer(res, 503, { status: 'in-flight' }, { 'retry-after': '1' });
          }
          const { notification } = outcome;
          try {
            await onNotification(notification);
            cache.finish(notification.idempotencyKey, true);
            return answer(res, 204);
          } catch (error) {
            cache.finish(notification.idempotencyKey, false);
            return answer(res, 500, { error: 'handler-failed', message: error instanceof Error ? error.message : String(error) });
          }
        })();
      };
    },
  };
}
