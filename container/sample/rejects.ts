/**
 * Rejected rows, one JSON line each, streamed to `rejects/<pipeline>/<batchKey>/shard-<i>.jsonl`
 * in the batch's bucket while the files are read (multipart for large outputs, so a bad
 * file never has to fit in memory). The object is written on every run, empty when
 * nothing was rejected: it always describes the latest run of that shard.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';

export interface RejectedRow {
  /** Logical file name from the registry (`orders`, `customers`, ...). */
  file: string;
  key: string;
  line: number;
  reason: string;
  record: Record<string, string> | string[];
}

export function rejectsKey(pipeline: string, batchKey: string, shardIndex: number): string {
  return `rejects/${pipeline}/${batchKey}/shard-${shardIndex}.jsonl`;
}

export class RejectsWriter {
  private readonly stream = new PassThrough();
  private readonly upload: Promise<unknown>;
  private written = 0;

  constructor(
    s3: S3Client,
    readonly bucket: string,
    readonly key: string,
  ) {
    this.upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: this.stream, ContentType: 'application/x-ndjson' },
    }).done();
    // Observed in close(); an early failure must not become an unhandled rejection meanwhile.
    this.upload.catch(() => undefined);
  }

  get count(): number {
    return this.written;
  }

  async add(row: RejectedRow): Promise<void> {
    this.written += 1;
    if (!this.stream.write(`${JSON.stringify(row)}\n`)) {
      // A failed upload never drains: let its error surface instead of waiting forever.
      await Promise.race([once(this.stream, 'drain'), this.upload]);
    }
  }

  async close(): Promise<{ bucket: string; key: string; count: number }> {
    this.stream.end();
    await this.upload;
    return { bucket: this.bucket, key: this.key, count: this.written };
  }

  abort(): void {
    this.stream.destroy();
  }
}
