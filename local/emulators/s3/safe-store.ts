/**
 * s3rver's filesystem store with keys that cannot leave the data folder. s3rver writes a key
 * `a/b/c.csv` to `<data>/<bucket>/a/b/c.csv._S3rver_object` as it comes, so `..` segments,
 * a leading `/` or a 300-byte segment (ENAMETOOLONG, thrown where nothing catches it) turn a
 * request against the host. Here every segment is encoded before it touches the filesystem:
 *
 *   - bytes other than letters, digits, `-` and `.` become `%XX` (so `/`, `\`, NUL, `%`, `+`
 *     and `_` never reach a file name raw, and `._S3rver_` can only be the store's own suffix);
 *   - a segment of dots only (`.`, `..`) is encoded whole, an empty one (`a//b`, a leading
 *     `/`) is `%`;
 *   - an encoded segment longer than 200 bytes is cut into folders whose names end in `+`
 *     (a `+` is always encoded otherwise), so every name stays under the 255-byte limit.
 *
 * Any valid S3 key (up to 1,024 bytes of UTF-8) therefore maps to one path inside the
 * bucket's folder and back. Listing walks the bucket, decodes, and sorts keys in UTF-8 byte
 * order as S3 does. Bucket names must be S3's (lowercase DNS labels), or there is no bucket.
 * Write errors reject the request (s3rver answers InternalError) instead of killing the process.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, promises as fs, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const FilesystemStore = require('s3rver/lib/stores/filesystem') as new (root: string) => S3rverStore;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3Object = require('s3rver/lib/models/object') as new (
  bucket: string,
  key: string,
  content: unknown,
  metadata: Record<string, unknown>,
) => { bucket: string; key: string; content: Buffer | Readable; metadata: Record<string, unknown> };

interface S3rverStore {
  rootDirectory: string;
  getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5?: string): Promise<void>;
  getBucket(bucket: string): Promise<unknown>;
}

/** The longest encoded segment kept in one file name; suffixes like `._S3rver_metadata.json` fit beside it. */
export const MAX_ENCODED_SEGMENT = 200;
const OBJECT_SUFFIX = '._S3rver_object';

const SAFE_BYTE = (b: number) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e;
const hex = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** One key segment as a path (possibly several folders, each name ≤ MAX_ENCODED_SEGMENT). */
export function encodeSegment(segment: string): string {
  if (segment === '') return '%';
  const bytes = Buffer.from(segment, 'utf8');
  const allDots = bytes.every((b) => b === 0x2e);
  const tokens = [...bytes].map((b) => (!allDots && SAFE_BYTE(b) ? String.fromCharCode(b) : hex(b)));
  const chunks: string[] = [];
  let chunk = '';
  for (const token of tokens) {
    if (chunk.length + token.length > MAX_ENCODED_SEGMENT - 1) {
      chunks.push(`${chunk}+`);
      chunk = '';
    }
    chunk += token;
  }
  chunks.push(chunk);
  return chunks.join('/');
}

export function decodeSegment(encoded: string): string {
  if (encoded === '%') return '';
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(encoded.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `a/../b` → `a/%2E%2E/b`: a relative path of safe names. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeSegment).join('/');
}

export function decodeKey(path: string): string {
  return path.replace(/\+\//g, '').split('/').map(decodeSegment).join('/');
}

/** S3's bucket naming rules (general purpose buckets). */
export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

export class SafeFilesystemStore extends FilesystemStore {
  constructor(rootDirectory: string) {
    super(rootDirectory);
  }

  /** The last line of defence: no path this store builds may leave the bucket folder. */
  private inside(bucket: string, path: string): string {
    const rel = relative(join(this.rootDirectory, bucket), path);
    if (isAbsolute(rel) || rel.split(sep).includes('..')) throw new UnsafePathError(`refusing a path outside bucket ${bucket}: ${path}`);
    return path;
  }

  getBucketPath(bucket: string): string {
    if (!isValidBucketName(bucket)) throw new UnsafePathError(`"${bucket}" is not a valid bucket name`);
    return join(this.rootDirectory, bucket);
  }

  getResourcePath(bucket: string, key = '', resource: string): string {
    const base = this.getBucketPath(bucket);
    if (key === '') return this.inside(bucket, join(base, `._S3rver_${resource}`));
    return this.inside(bucket, join(base, `${encodeKey(key)}._S3rver_${resource}`));
  }

  override async getBucket(bucket: string): Promise<unknown> {
    if (!isValidBucketName(bucket)) return null;
    return super.getBucket(bucket);
  }

  async listObjects(bucket: string, options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number }) {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const bucketPath = this.getBucketPath(bucket);
    const keys: string[] = [];
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith(OBJECT_SUFFIX) && !name.startsWith('._S3rver_'))
          keys.push(decodeKey(relative(bucketPath, path).split(sep).join('/').slice(0, -OBJECT_SUFFIX.length)));
      }
    };
    walk(bucketPath);
    // S3 lists in UTF-8 binary order.
    keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const commonPrefixes = new Set<string>();
    const listed: string[] = [];
    let isTruncated = false;
    for (const key of keys) {
      if (Buffer.compare(Buffer.from(key), Buffer.from(startAfter)) <= 0 || !key.startsWith(prefix)) continue;
      if (delimiter) {
        const idx = key.slice(prefix.length).indexOf(delimiter);
        if (idx !== -1) {
          commonPrefixes.add(key.slice(0, prefix.length + idx + delimiter.length));
          continue;
        }
      }
      if (listed.length >= maxKeys) {
        isTruncated = true;
        break;
      }
      listed.push(key);
    }
    const objects = [];
    for (const key of listed) {
      const metadata = await this.getMetadata(bucket, key).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (metadata) objects.push(new S3Object(bucket, key, null, metadata));
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  }

  /** Streams the body to its file; any error (disk, name) rejects, which s3rver answers. */
  private async writeContent(path: string, content: Buffer | Readable): Promise<{ size: number; md5: string }> {
    const hash = createHash('md5');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const source = Buffer.isBuffer(content) ? [content] : content;
    await pipeline(source as Iterable<Buffer> | Readable, counter, createWriteStream(path));
    return { size, md5: hash.digest('hex') };
  }

  async putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: Record<string, unknown> }) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await fs.mkdir(join(objectPath, '..'), { recursive: true });
    const { size, md5 } = await this.writeContent(objectPath, object.content);
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size, md5 };
  }

  async putPart(bucket: string, uploadId: string, partNumber: number, content: Readable) {
    if (!/^[A-Za-z0-9-]+$/.test(uploadId)) throw new UnsafePathError(`upload id "${uploadId}" is not one this store issued`);
    const partPath = join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    await fs.mkdir(join(partPath, '..'), { recursive: true });
    const { size, md5 } = await this.writeContent(partPath, content);
    await fs.writeFile(`${partPath}.md5`, md5);
    return { size, md5 };
  }

  async putObjectMultipart(bucket: string, uploadId: string, parts: unknown[]) {
    if (!/^[A-Za-z0-9-]+$/.test(uploadId)) throw new UnsafePathError(`upload id "${uploadId}" is not one this store issued`);
    return (
      FilesystemStore.prototype as unknown as {
        putObjectMultipart: (this: unknown, b: string, u: string, p: unknown[]) => Promise<unknown>;
      }
    ).putObjectMultipart.call(this, bucket, uploadId, parts);
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        fs.unlink(this.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
    // Empty folders the key's encoded path left behind go, up to the bucket folder.
    const bucketPath = this.getBucketPath(bucket);
    let dir = join(this.getResourcePath(bucket, key, 'object'), '..');
    while (dir !== bucketPath && relative(bucketPath, dir) && !relative(bucketPath, dir).split(sep).includes('..')) {
      const entries = await fs.readdir(dir).catch(() => ['?']);
      if (entries.length) break;
      await fs.rmdir(dir).catch(() => undefined);
      dir = join(dir, '..');
    }
  }
}
