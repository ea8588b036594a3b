/**
 * A batch's manifest (trigger.complete.manifest): the files the batch is made of. Two shapes
 * are read, both JSON:
 *
 *   { "files": ["incoming/acme/2026-11-20/part-1.csv", ...] }            keys in the pipeline's bucket
 *   { "entries": [{ "url": "s3://bucket/key", "mandatory": true }, ...] } Amazon Redshift's COPY manifest
 *
 * A key may also be given as an `s3://bucket/key` URL in `files`. Every listed key is waited
 * for, except Redshift entries with `"mandatory": false` (run with them if they arrived in
 * time, without them otherwise). A URL of another bucket, an empty list, or anything else
 * is refused with what is wrong.
 */
import * as v from '../../shared/validation';

export class InvalidManifestError extends Error {
  override readonly name = 'InvalidManifestError';
}

/** A manifest at most this large is read (the batch's Batches item holds its keys anyway). */
export const MAX_MANIFEST_BYTES = 256 * 1024;

const FilesManifestSchema = v.strictObject({ files: v.array(v.string().min(1)) });
const RedshiftManifestSchema = v.looseObject({
  entries: v.array(v.looseObject({ url: v.string().min(1), mandatory: v.boolean().optional() })),
});

export interface ParsedManifest {
  /** Keys the batch waits for. */
  required: string[];
  /** Keys the batch runs with when they arrived, but does not wait for (`mandatory: false`). */
  optional: string[];
}

/** Parses manifest text; `where` (s3://bucket/key) names it in errors, keys must be in `bucket`. */
export function parseManifest(text: string, bucket: string, where: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidManifestError(`manifest ${where} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const keyOf = (entry: string): string => {
    if (!entry.startsWith('s3://')) return entry.replace(/^\/+/, '');
    const [entryBucket, ...rest] = entry.slice('s3://'.length).split('/');
    if (entryBucket !== bucket) {
      throw new InvalidManifestError(`manifest ${where} lists ${entry}, outside the pipeline's bucket ${bucket}`);
    }
    return rest.join('/');
  };
  let parsed: ParsedManifest;
  const files = FilesManifestSchema.safeParse(json);
  if (files.success) parsed = { required: files.data.files.map(keyOf), optional: [] };
  else {
    const redshift = RedshiftManifestSchema.safeParse(json);
    if (!redshift.success) {
      throw new InvalidManifestError(
        `manifest ${where} is neither {"files": ["key", ...]} nor {"entries": [{"url": "s3://bucket/key", "mandatory": true}, ...]}`,
      );
    }
    const entries = redshift.data.entries;
    parsed = {
      required: entries.filter((entry) => entry.mandatory !== false).map((entry) => keyOf(entry.url)),
      optional: entries.filter((entry) => entry.mandatory === false).map((entry) => keyOf(entry.url)),
    };
  }
  if (parsed.required.length === 0) throw new InvalidManifestError(`manifest ${where} lists no file the batch must wait for`);
  return { required: [...new Set(parsed.required)].sort(), optional: [...new Set(parsed.optional)].sort() };
}
