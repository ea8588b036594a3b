/**
 * No single request stops the local cloud: a handler that throws is answered with a 500, and
 * every emulator answers garbage with an error and keeps serving.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { closeServer, guardRequests, startEmulators, type Emulators } from '../../../../local/emulators/data-services';

jest.setTimeout(60_000);

function send(
  endpoint: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: options.method ?? 'POST', path: options.path ?? '/', headers: options.headers ?? {} },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

test('a request handler that throws is answered with a 500 naming the service, and the next request is served', async () => {
  // Prepare: a server whose handler throws on one path, as an emulator's bug would.
  const errors: unknown[] = [];
  const server: Server = guardRequests(
    createServer((req, res) => {
      if (req.url === '/boom') throw new Error('ENAMETOOLONG: name too long');
      res.end('ok');
    }),
    'Test',
    (error) => errors.push(error),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Act
  const boom = await send(endpoint, { method: 'GET', path: '/boom' });
  const after = await send(endpoint, { method: 'GET', path: '/' });
  await closeServer(server);
  // Assess
  expect(boom.status).toBe(500);
  expect(JSON.parse(boom.body)).toEqual({
    __type: 'InternalFailure',
    message: 'the local Test failed on this request: ENAMETOOLONG: name too long',
  });
  expect(after).toEqual({ status: 200, body: 'ok' });
  expect(errors).toHaveLength(1);
});

describe('every data emulator answers garbage and stays up', () => {
  let emulators: Emulators;
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const garbage = [
    { target: 'DynamoDB_20120810.PutItem', body: '{"TableName": ' },
    { target: 'Kinesis_20131202.PutRecords', body: '\u0000\u0001not json' },
    { target: 'AmazonSQS.SendMessage', body: '[1,2,3]' },
  ];

  test.each([
    ['dynamodb', 0],
    ['kinesis', 1],
    ['sqs', 2],
  ] as const)('%s', async (service, i) => {
    const { target, body } = garbage[i]!;
    const answer = await send(emulators.endpoints[service], {
      headers: {
        'x-amz-target': target,
        'content-type': 'application/x-amz-json-1.0',
        authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/x/aws4_request, SignedHeaders=host, Signature=0',
      },
      body,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    // Still serving: a real call after the garbage.
    const dynamodb = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: emulators.endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await expect(dynamodb.send(new ListTablesCommand({}))).resolves.toBeDefined();
    dynamodb.destroy();
  });

  test('s3 answers a request with a broken percent-encoding with InvalidURI', async () => {
    const answer = await send(emulators.endpoints.s3, { method: 'GET', path: '/bucket/%E0%A4%A', headers: { authorization: 'AWS x:y' } });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<Code>InvalidURI</Code>');
  });
});
