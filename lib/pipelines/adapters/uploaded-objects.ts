/**
 * What is in the uploads bucket(s), for backfill: listing under a prefix. Listing alone (no
 * HeadObject) keeps the function to s3:ListBucket on the watched prefixes, and a missing
 * object is simply not listed (HeadObject answers 403, not 404, without list rights).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface UploadedObject {
  key: string;
  size: number;
  /** Without the quotes S3 puts around it, as S3 event notifications carry it. */
  etag: string;
}

export interface UploadedObjects {
  list(bucket: string, prefix: string): AsyncIterable<UploadedObject>;
  /** One object's text (a batch's manifest), of the version given when there is one. */
  read(bucket: string, key: string, versionId?: string): Promise<string>;
}

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

export function uploadedObjects(client: S3Client): UploadedObjects {
  return {
    async read(bucket, key, versionId) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
      return object.Body ? object.Body.transformToString('utf8') : '';
    },

    async *list(bucket, prefix) {
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(ContinuationToken ? { ContinuationToken } : {}) }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0, etag: unquote(object.ETag) };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
  };
}
