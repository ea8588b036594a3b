/**
 * Retry classes of one notification against a real local HTTP server: what is retried
 * (connection refused, timeout, 5xx, 429 with Retry-After), what is not (other 4xx), and
 * that every attempt is freshly signed. Sleeps are recorded, not waited.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliverWithRetries, type RetryPolicy, type SenderDeps } from '../../lib/notifier/http-sender';

const policy: RetryPolicy = { maxAttempts: 4, timeoutMs: 300, baseDelayMs: 100, maxDelayMs: 1_000 };

let server: Server;
let base: string;
let answers: Array<(req: IncomingMessage, res: ServerResponse) => void>;
let received: Array<{ headers: IncomingMessage['headers']; body: string }>;
let sleeps: number[];
const deps: SenderDeps = { sleep: async (ms) => void sleeps.push(ms), random: () => 1, nowMs: Date.now };
const headersFor = async (nowMs: number) => ({ 'content-type': 'application/json', 'x-attempt-at': String(nowMs) });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers.shift() ?? ((_req, r) => r.writeHead(204).end());
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  answers = [];
  received = [];
  sleeps = [];
});

const status =
  (code: number, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(code, headers).end(`status ${code}`);

describe('deliverWithRetries', () => {
  it('retries a 500 and succeeds on the next attempt', async () => {
    answers = [status(500)];
    const outcome = await deliverWithRetries(new URL(`${base}/notify`), '{"a":1}', headersFor, policy, deps);
    expect(outcome).toMatchObject({ kind: 'delivered', httpStatus: 204, attempts: 2 });
    expect(received.map((r) => r.body)).toEqual(['{"a":1}', '{"a":1}']);
    expect(sleeps).toEqual([100]);
  });

  it('backs off exponentially up to the cap on repeated 5xx, then gives up with the last answer', async () => {
    answers = [status(502), status(503), status(500), status(504)];
    const outcome = await deliverWithRetries(new URL(`${base}/notify`), '{}', headersFor, { ...policy, baseDelayMs: 400 }, deps);
    expect(outcome).toMatchObject({ kind: 'exhausted', httpStatus: 504, attempts: 4, lastError: 'attempt 4: HTTP 504: status 504' });
    expect(sleeps).toEqual([400, 800, 1_000]);
  });

  it('honours Retry-After on a 429 (capped at the longest backoff)', async () => {
    answers = [status(429, { 'retry-after': '0' }), status(429, { 'retry-after': '30' })];
    const outcome = await deliverWithRetries(new URL(`${base}/notify`), '{}', headersFor, policy, deps);
    expect(outcome).toMatchObject({ kind: 'delivered', attempts: 3 });
    expect(sleeps).toEqual([0, 1_000]);
  });

  it('does not retry other 4xx answers', async () => {
    answers = [status(401)];
    const outcome = await deliverWithRetries(new URL(`${base}/notify`), '{}', headersFor, policy, deps);
    expect(outcome).toMatchObject({ kind: 'rejected', httpStatus: 401, attempts: 1 });
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries when nothing listens, and reports the connection error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const outcome = await deliverWithRetries(new URL(`http://127.0.0.1:${port}/notify`), '{}', headersFor, policy, deps);

    expect(outcome).toMatchObject({ kind: 'exhausted', attempts: 4 });
    expect(outcome.kind === 'exhausted' && outcome.lastError).toMatch(/ECONNREFUSED/);
    expect(sleeps).toHaveLength(3);
  });

  it('times out an endpoint that never answers and retries it', async () => {
    const hang = () => undefined;
    answers = [hang, hang];
    const outcome = await deliverWithRetries(new URL(`${base}/notify`), '{}', headersFor, policy, deps);
    expect(outcome).toMatchObject({ kind: 'delivered', attempts: 3 });
    expect(received).toHaveLength(3);
  });

  it('signs every attempt afresh', async () => {
    answers = [status(503)];
    let calls = 0;
    const counting = async (nowMs: number) => ({ 'x-attempt': String((calls += 1)), 'x-at': String(nowMs) });
    await deliverWithRetries(new URL(`${base}/notify`), '{}', counting, policy, deps);
    expect(received.map((r) => r.headers['x-attempt'])).toEqual(['1', '2']);
  });
});
