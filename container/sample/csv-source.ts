/**
 * Streams one CSV object from S3 through csv-parse: the body is never held whole, so
 * memory stays flat as files grow. Handles a UTF-8 BOM, quoted fields with commas and
 * newlines, blank lines and empty files. The first record is the header (names trimmed
 * and lower-cased; extra columns are ignored, missing required ones are fatal).
 *
 * Line numbers are where a record starts (the header is line 1), as an editor shows it:
 * counted from each record's raw text (CRLF, CR or LF is one break; csv-parse's own line
 * count takes a CRLF inside quotes as two), including the blank lines skipped before it.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parse, type Info } from 'csv-parse';
import { Readable } from 'node:stream';
import type { BatchObject } from '../../lib/contracts/messages';
import type { StepTimings } from '../worker';
import { CsvFormatError, CsvHeaderError } from './errors';

export type CsvItem =
  | { kind: 'row'; line: number; fields: Record<string, string> }
  | { kind: 'malformed'; line: number; reason: string; raw: string[] };

export interface CsvSourceOptions {
  /** Columns every data row must have. */
  columns: readonly string[];
  timings?: StepTimings;
}

export function objectLabel(object: BatchObject): string {
  return `s3://${object.bucket}/${object.key}`;
}

export async function openObject(s3: S3Client, object: BatchObject): Promise<Readable> {
  // The version that arrived, when the bucket is versioned: a later overwrite is another batch.
  const { Body } = await s3.send(
    new GetObjectCommand({ Bucket: object.bucket, Key: object.key, ...(object.versionId ? { VersionId: object.versionId } : {}) }),
  );
  if (!(Body instanceof Readable)) throw new CsvFormatError(`${objectLabel(object)}: GetObject returned no stream body`);
  return Body;
}

type ParsedRecord = { record: string[]; raw: string; info: Info };

const LEADING_BREAKS = /^(?:\r\n|\r|\n)*/;
const BREAK = /\r\n|\r|\n/g;

function countBreaks(text: string): number {
  let count = 0;
  BREAK.lastIndex = 0;
  while (BREAK.exec(text)) count += 1;
  return count;
}

export async function* readCsv(body: Readable, label: string, options: CsvSourceOptions): AsyncGenerator<CsvItem> {
  const parser = parse({ bom: true, info: true, raw: true, relax_column_count: true, skip_empty_lines: true });
  body.on('error', (error) => parser.destroy(error));
  body.pipe(parser);
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<ParsedRecord>;

  let header: string[] | undefined;
  let indexes: number[] = [];
  let breaksBefore = 0;
  try {
    for (;;) {
      const stop = options.timings?.start('extract');
      let next: IteratorResult<ParsedRecord>;
      try {
        next = await records.next();
      } finally {
        stop?.();
      }
      if (next.done) return;
      const { record, raw } = next.value;
      const line = breaksBefore + countBreaks(LEADING_BREAKS.exec(raw)![0]) + 1;
      breaksBefore += countBreaks(raw);

      if (!header) {
        header = record.map((name) => name.trim().toLowerCase());
        const missing = options.columns.filter((column) => !header!.includes(column));
        if (missing.length > 0) {
          throw new CsvHeaderError(`${label}: header lacks column(s) ${missing.join(', ')} (found: ${header.join(', ')})`);
        }
        indexes = options.columns.map((column) => header!.indexOf(column));
        continue;
      }
      if (record.length !== header.length) {
        yield { kind: 'malformed', line, reason: `has ${record.length} fields, the header has ${header.length}`, raw: record };
        continue;
      }
      const fields: Record<string, string> = {};
      options.columns.forEach((column, i) => (fields[column] = record[indexes[i]!]!));
      yield { kind: 'row', line, fields };
    }
  } catch (error) {
    if (error instanceof CsvHeaderError) throw error;
    const where = (error as { lines?: number }).lines;
    throw new CsvFormatError(`${label}: not valid CSV${where ? ` near line ${where}` : ''}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    body.unpipe(parser);
    body.destroy();
    parser.destroy();
  }
}
