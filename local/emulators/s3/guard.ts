/**
 * What S3 refuses before it touches a bucket, for the local S3 (s3rver accepts it all):
 *   - requests with no signature at all (the stack's buckets are private): 403 AccessDenied;
 *   - browser form POSTs without a policy signed with a known key, or with an expired
 *     policy: 403 AccessDenied / SignatureDoesNotMatch (Signature V4 and V2 are checked);
 *   - keys longer than 1,024 bytes: 400 KeyTooLongError; a path that is not valid
 *     percent-encoding: 400 InvalidURI; bucket names S3 would not create: 400 InvalidBucketName.
 * Errors are S3's XML through s3rver's error handler. Header signatures themselves are left to
 * s3rver (it knows the access keys; mismatches are allowed, as SDK signing details differ).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { isValidBucketName } from './safe-store';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3Error = require('s3rver/lib/models/error') as new (code: string, message: string, detail?: Record<string, unknown>) => Error;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Busboy = require('busboy') as new (options: {
  headers: IncomingMessage['headers'];
  limits?: Record<string, number>;
}) => NodeJS.WritableStream & {
  on(event: 'field', listener: (name: string, value: string) => void): unknown;
  on(event: 'file', listener: (name: string, file: Readable) => void): unknown;
  on(event: 'finish' | 'error', listener: (error?: Error) => void): unknown;
};

/** The largest form POST the local S3 buffers to check its policy before storing it. */
export const MAX_FORM_POST_BYTES = 64 * 1024 * 1024;
export const MAX_KEY_BYTES = 1024;

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  req: IncomingMessage | (Readable & { headers: IncomingMessage['headers'] });
  is(type: string): string | false | null;
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.destroy();
        reject(
          new S3Error('EntityTooLarge', `Your proposed upload exceeds the maximum allowed size (${limit} bytes for a local form POST)`),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The form's fields before its file (S3 ignores fields after it). */
function formFields(headers: IncomingMessage['headers'], body: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let busboy;
    try {
      busboy = new Busboy({ headers });
    } catch (error) {
      reject(
        new S3Error(
          'MalformedPOSTRequest',
          `The body of your POST request is not well-formed multipart/form-data: ${(error as Error).message}`,
        ),
      );
      return;
    }
    let sawFile = false;
    busboy.on('field', (name, value) => {
      if (!sawFile) fields.set(name.toLowerCase(), value);
    });
    busboy.on('file', (_name, file) => {
      sawFile = true;
      file.resume();
    });
    busboy.on('finish', () => resolve(fields));
    busboy.on('error', (error) =>
      reject(
        new S3Error(
          'MalformedPOSTRequest',
          `The body of your POST request is not well-formed multipart/form-data: ${error?.message ?? ''}`,
        ),
      ),
    );
    Readable.from([body]).pipe(busboy);
  });
}

/** Checks a POST policy's signature (V4 or V2) and expiration; throws S3's error otherwise. */
export function checkPostPolicy(fields: Map<string, string>, secrets: Map<string, string>, now = new Date()): void {
  const policy = fields.get('policy');
  if (!policy) throw new S3Error('AccessDenied', 'Access Denied (a form POST to a private bucket needs a signed policy)');
  let signatureOk: boolean;
  const v4Signature = fields.get('x-amz-signature');
  if (v4Signature !== undefined) {
    if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256')
      throw new S3Error('InvalidArgument', 'x-amz-algorithm must be AWS4-HMAC-SHA256');
    const [accessKey, date, region, service] = (fields.get('x-amz-credential') ?? '').split('/');
    const secret = accessKey ? secrets.get(accessKey) : undefined;
    if (!secret || !date || !region || !service)
      throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    signatureOk = same(createHmac('sha256', signingKey).update(policy).digest('hex'), v4Signature);
  } else if (fields.get('signature') !== undefined) {
    const secret = secrets.get(fields.get('awsaccesskeyid') ?? '');
    if (!secret) throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    signatureOk = same(createHmac('sha1', secret).update(policy).digest('base64'), fields.get('signature')!);
  } else {
    throw new S3Error('AccessDenied', 'Access Denied (the form carries a policy but no signature)');
  }
  if (!signatureOk)
    throw new S3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  let expiration: unknown;
  try {
    expiration = (JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as { expiration?: unknown }).expiration;
  } catch {
    throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  if (typeof expiration !== 'string' || Number.isNaN(Date.parse(expiration)))
    throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: Policy missing expiration.');
  if (Date.parse(expiration) < now.getTime()) throw new S3Error('AccessDenied', 'Invalid according to Policy: Policy expired.');
}

const isSigned = (ctx: KoaContext) =>
  'authorization' in ctx.headers ||
  'X-Amz-Signature' in ctx.query ||
  'x-amz-signature' in ctx.query ||
  ('Signature' in ctx.query && 'AWSAccessKeyId' in ctx.query);

/** Koa middleware, put first in s3rver's chain. `secrets`: access key id → secret key. */
export function s3RequestGuard(secrets: Map<string, string>) {
  return async function s3RequestGuard(ctx: KoaContext, next: () => Promise<unknown>): Promise<unknown> {
    const [, rawBucket = '', ...rawKey] = ctx.path.split('/');
    let bucket: string;
    let key: string;
    try {
      bucket = decodeURIComponent(rawBucket);
      key = decodeURIComponent(rawKey.join('/'));
    } catch {
      throw new S3Error('InvalidURI', "Couldn't parse the specified URI.");
    }
    if (bucket && !isValidBucketName(bucket) && ctx.method !== 'GET')
      throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket });
    if (Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw new S3Error('KeyTooLongError', 'Your key is too long', { MaxSizeAllowed: MAX_KEY_BYTES, Size: Buffer.byteLength(key) });
    // s3rver's router cannot match keys with empty segments (`a//b`, a leading or trailing `/`):
    // hand it the key as one encoded segment, which the router decodes back to the key.
    if (key !== '') ctx.path = `/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;
    if (isSigned(ctx)) return next();
    if (ctx.method === 'POST' && bucket && ctx.is('multipart/form-data')) {
      const body = await readAll(ctx.req as IncomingMessage, MAX_FORM_POST_BYTES);
      checkPostPolicy(await formFields(ctx.headers, body), secrets);
      // s3rver reads the form again from the request: give it the buffered body.
      ctx.req = Object.assign(Readable.from([body]), { headers: ctx.headers });
      return next();
    }
    throw new S3Error('AccessDenied', 'Access Denied');
  };
}
