/**
 * One notification over HTTP with retries. Retried: connection errors, timeouts, 5xx and
 * 429 (after Retry-After when given); not retried: any other 4xx, and 3xx (no redirects
 * are followed: the address came from ECS, not from the answer).
 */
import { request } from 'node:http';

export interface RetryPolicy {
  maxAttempts: number;
  /** Per attempt, from sending to the last byte of the answer. */
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export type AttemptResult =
  | { kind: 'response'; status: number; retryAfterMs?: number; bodySnippet: string }
  | { kind: 'error'; error: Error };

export type DeliveryOutcome =
  | { kind: 'delivered'; httpStatus: number; attempts: number; latencyMs: number }
  | { kind: 'rejected'; httpStatus: number; attempts: number; latencyMs: number; lastError: string }
  | { kind: 'exhausted'; httpStatus?: number; attempts: number; latencyMs: number; lastError: string };

export interface SenderDeps {
  sleep: (ms: number) => Promise<void>;
  /** [0, 1): full jitter on the backoff. */
  random: () => number;
  nowMs: () => number;
}

export const realSenderDeps: SenderDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  nowMs: Date.now,
};

export class NotifyTimeoutError extends Error {
  override readonly name = 'NotifyTimeoutError';
}

/** Longest a delivery can take: every attempt timing out plus every backoff at its cap. */
export function deliveryBudgetMs(policy: RetryPolicy): number {
  return policy.maxAttempts * policy.timeoutMs + (policy.maxAttempts - 1) * policy.maxDelayMs;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export function postOnce(
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  nowMs: () => number = Date.now,
): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (data: Buffer) => {
        // Keep only a snippet for the audit's lastError; the rest is drained.
        if (size < 512) chunks.push(data);
        size += data.length;
      });
      res.on('end', () => {
        const retryAfterMs = parseRetryAfter(res.headers['retry-after'], nowMs());
        settle({
          kind: 'response',
          status: res.statusCode ?? 0,
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          bodySnippet: Buffer.concat(chunks).toString('utf8').slice(0, 200),
        });
      });
      res.on('error', (error) => settle({ kind: 'error', error }));
    });
    const timer = setTimeout(() => {
      const error = new NotifyTimeoutError(`no complete answer from ${url.host} within ${timeoutMs} ms`);
      settle({ kind: 'error', error });
      req.destroy(error);
    }, timeoutMs);
    req.on('error', (error) => settle({ kind: 'error', error }));
    req.end(body);
  });
}

const retryable = (status: number): boolean => status >= 500 || status === 429;

function describeAttempt(result: AttemptResult): string {
  if (result.kind === 'error') {
    const code = (result.error as { code?: unknown }).code;
    return `${result.error.name}${typeof code === 'string' ? `(${code})` : ''}: ${result.error.message}`;
  }
  return `HTTP ${result.status}${result.bodySnippet ? `: ${result.bodySnippet}` : ''}`;
}

/**
 * Sends until delivered, rejected, or out of attempts. `headersFor` signs each attempt
 * afresh so a retry after a long Retry-After is not rejected as too old.
 */
export async function deliverWithRetries(
  url: URL,
  body: string,
  headersFor: (nowMs: number) => Promise<Record<string, string>>,
  policy: RetryPolicy,
  deps: SenderDeps = realSenderDeps,
): Promise<DeliveryOutcome> {
  const started = deps.nowMs();
  let lastError = '';
  let lastStatus: number | undefined;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
    const headers = await headersFor(deps.nowMs());
    const result = await postOnce(url, headers, body, policy.timeoutMs, deps.nowMs);
    const latencyMs = deps.nowMs() - started;
    lastError = `attempt ${attempt}: ${describeAttempt(result)}`;
    if (result.kind === 'response') {
      lastStatus = result.status;
      if (result.status >= 200 && result.status < 300)
        return { kind: 'delivered', httpStatus: result.status, attempts: attempt, latencyMs };
      if (!retryable(result.status)) return { kind: 'rejected', httpStatus: result.status, attempts: attempt, latencyMs, lastError };
    }
    if (attempt === policy.maxAttempts) break;
    const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * deps.random();
    const retryAfter = result.kind === 'response' ? result.retryAfterMs : undefined;
    // Retry-After is honoured up to the cap: a longer wait belongs to the queue's redelivery.
    await deps.sleep(retryAfter === undefined ? backoff : Math.min(policy.maxDelayMs, retryAfter));
  }
  return {
    kind: 'exhausted',
    ...(lastStatus === undefined ? {} : { httpStatus: lastStatus }),
    attempts: policy.maxAttempts,
    latencyMs: deps.nowMs() - started,
    lastError,
  };
}
