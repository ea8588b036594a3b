/**
 * The local S3 cannot be turned against its host: hostile keys stay inside the data folder and
 * still round-trip as S3 keys, requests S3 refuses get S3's error, and a failing write is an
 * answer, not a dead process.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmulators, type Emulators } from '../../../../local/emulators/data-services';
import { decodeKey, encodeKey } from '../../../../local/emulators/s3/safe-store';

jest.setTimeout(60_000);

const BUCKET = 'ecs-pipelines-local-uploads-000000000000-us-east-1';
let parent: string;
let data: string;
let emulators: Emulators;
let s3: S3Client;

beforeAll(async () => {
  // The data folder sits alone in a folder of its own: anything written beside it escaped.
  parent = mkdtempSync(join(tmpdir(), 's3-hostile-'));
  data = join(parent, 'data');
  emulators = await startEmulators({ persistDir: data });
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: emulators.endpoints.s3,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
  rmSync(parent, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** A raw HTTP request (no SDK path normalisation), with an Authorization header s3rver accepts. */
function raw(
  method: string,
  path: string,
  options: { body?: Buffer | string; headers?: Record<string, string>; signed?: boolean } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(emulators.endpoints.s3);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.signed !== false) {
    headers['x-amz-date'] = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    headers.authorization =
      'AWS4-HMAC-SHA256 Credential=local/20261120/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0000';
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const HOSTILE_KEYS: Array<[string, string]> = [
  ['parent segments', '../../escape.txt'],
  ['parent segments in the middle', 'incoming/../../../escape.txt'],
  ['encoded-looking slashes', '..%2F..%2Fescape.txt'],
  ['an absolute path', '/etc/passwd-copy'],
  ['a lone dot segment', 'a/./b.csv'],
  ['a NUL byte', 'nul\u0000byte.csv'],
  ['backslashes', '..\\..\\escape.txt'],
  ['the store suffix', 'x._S3rver_metadata.json'],
  ['empty segments and a trailing slash', 'a//b/'],
  ['one 300-byte segment', `incoming/${'s'.repeat(300)}.csv`],
  ['1,024 bytes of multi-byte characters', `incoming/${'é'.repeat(507)}`],
  ['1,024 bytes of slashes and dots', `${'../'.repeat(341)}.`],
  ['non-ASCII', 'incoming/日本/café 📦.csv'],
];

describe('hostile keys', () => {
  test.each(HOSTILE_KEYS)('a key with %s is stored inside the bucket folder and reads back as written', async (_, key) => {
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
    // Act
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body of ${key}` }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    // Assess
    expect(await got.Body!.transformToString()).toBe(`body of ${key}`);
    expect(readdirSync(parent)).toEqual(['data']);
    for (const file of files(join(data, 's3'))) expect(relative(join(data, 's3', BUCKET), file).split(sep)[0]).not.toBe('..');
  });

  test('every hostile key is listed exactly as it was written, in UTF-8 byte order', async () => {
    const listed: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 5, ContinuationToken }));
      listed.push(...(page.Contents ?? []).map((o) => o.Key!));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    const expected = HOSTILE_KEYS.map(([, key]) => key).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed).toEqual(expected);
  });

  test('a raw path with ../ and %2E%2E segments lands inside the bucket', async () => {
    const put = await raw('PUT', `/${BUCKET}/../../%2E%2E/raw-escape.txt`, { body: 'raw' });
    expect(put).toMatchObject({ status: 200 });
    expect(readdirSync(parent)).toEqual(['data']);
    expect(files(data).some((f) => f.includes('raw-escape.txt'))).toBe(true);
  });

  test('a bucket named .. does not exist and cannot be created', async () => {
    expect((await raw('PUT', '/%2E%2E/x.txt', { body: 'x' })).body).toContain('<Code>InvalidBucketName</Code>');
    expect((await raw('PUT', '/%2E%2E', {})).body).toContain('<Code>InvalidBucketName</Code>');
    expect(readdirSync(parent)).toEqual(['data']);
  });

  test('a key over 1,024 bytes is KeyTooLongError', async () => {
    await expect(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k'.repeat(1025), Body: 'x' }))).rejects.toMatchObject({
      name: 'KeyTooLongError',
    });
  });

  test('keys encode to names of at most 200 bytes and decode back', () => {
    for (const [, key] of HOSTILE_KEYS) {
      const path = encodeKey(key);
      expect(path.split('/').every((name) => Buffer.byteLength(name) <= 200 && name !== '..' && name !== '.' && name !== '')).toBe(true);
      expect(decodeKey(path)).toBe(key);
    }
  });
});

describe('requests S3 refuses', () => {
  test('an unsigned PUT and an unsigned GET are AccessDenied', async () => {
    const put = await raw('PUT', `/${BUCKET}/unsigned.txt`, { body: 'x', signed: false });
    expect(put.status).toBe(403);
    expect(put.body).toContain('<Code>AccessDenied</Code>');
    expect((await raw('GET', `/${BUCKET}/../../%2E%2E/raw-escape.txt`, { signed: false })).status).toBe(403);
  });

  const form = (fields: Record<string, string>, file = 'uploaded by a browser') => {
    const boundary = '----local-s3-test';
    const parts = Object.entries(fields).map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    );
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n${file}\r\n--${boundary}--\r\n`,
    );
    return { body: parts.join(''), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
  };
  const policy = (expiration: string) => Buffer.from(JSON.stringify({ expiration, conditions: [{ bucket: BUCKET }] })).toString('base64');
  const v4Fields = (key: string, encodedPolicy: string, secret = 'local') => {
    const signingKey = ['20261120', 'us-east-1', 's3', 'aws4_request'].reduce<Buffer | string>(
      (k, part) => createHmac('sha256', k).update(part).digest(),
      `AWS4${secret}`,
    );
    return {
      key,
      policy: encodedPolicy,
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': 'local/20261120/us-east-1/s3/aws4_request',
      'x-amz-date': '20261120T000000Z',
      'x-amz-signature': createHmac('sha256', signingKey).update(encodedPolicy).digest('hex'),
    };
  };

  test('an unsigned browser form POST is AccessDenied and writes nothing, wherever its key points', async () => {
    const before = files(data).length;
    const { body, headers } = form({ key: '../../../form-escape.txt' });
    const answer = await raw('POST', `/${BUCKET}`, { body, headers, signed: false });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('<Code>AccessDenied</Code>');
    expect(files(data)).toHaveLength(before);
    expect(readdirSync(parent)).toEqual(['data']);
  });

  test('a form POST signed with a wrong secret is SignatureDoesNotMatch; an expired policy is refused', async () => {
    const wrong = form(v4Fields('form/wrong.txt', policy('2099-01-01T00:00:00Z'), 'not-the-secret'));
    expect((await raw('POST', `/${BUCKET}`, { ...wrong, signed: false })).body).toContain('<Code>SignatureDoesNotMatch</Code>');
    const expired = form(v4Fields('form/expired.txt', policy('2020-01-01T00:00:00Z')));
    const answer = await raw('POST', `/${BUCKET}`, { ...expired, signed: false });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Policy expired');
  });

  test('a form POST with a policy signed by a local key is stored, inside the bucket', async () => {
    const signed = form(v4Fields('../form/signed.txt', policy('2099-01-01T00:00:00Z')), 'signed upload');
    expect((await raw('POST', `/${BUCKET}`, { ...signed, signed: false })).status).toBe(204);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: '../form/signed.txt' }));
    expect(await got.Body!.transformToString()).toBe('signed upload');
    expect(readdirSync(parent)).toEqual(['data']);
  });
});

test('a write the disk refuses is an InternalError answer, and the next request is served', async () => {
  // Prepare: a file where the key needs a folder.
  mkdirSync(join(data, 's3', BUCKET), { recursive: true });
  writeFileSync(join(data, 's3', BUCKET, 'blocked'), 'not a folder');
  // Act
  const refused = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'blocked/x.csv', Body: 'x' })).then(
    () => undefined,
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
  );
  // Assess
  expect(refused?.$metadata?.httpStatusCode).toBe(500);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after/x.csv', Body: 'still here' }));
  expect(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'after/x.csv' }))).Body!.transformToString()).toBe('still here');
});
