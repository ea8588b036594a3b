/** A Kinesis record's data → FileArrival, or an error saying which record and what is wrong. */
import * as v from '../../shared/validation';
import { FileArrivalSchema, type FileArrival } from '../../contracts/messages';

export class InvalidArrivalError extends Error {
  override readonly name = 'InvalidArrivalError';
  constructor(
    readonly sequenceNumber: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`Kinesis record ${sequenceNumber} is not a FileArrival: ${problem}`, options);
  }
}

export function parseArrival(sequenceNumber: string, base64Data: string): FileArrival {
  const text = Buffer.from(base64Data, 'base64').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const preview = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new InvalidArrivalError(sequenceNumber, `data is not JSON (${(error as Error).message}; starts ${JSON.stringify(preview)})`, {
      cause: error,
    });
  }
  const parsed = FileArrivalSchema.safeParse(json);
  if (!parsed.success)
    throw new InvalidArrivalError(sequenceNumber, v.prettifyError(parsed.error).replace(/\n/g, '; '), { cause: parsed.error });
  return parsed.data;
}
