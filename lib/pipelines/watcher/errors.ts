/** Errors of the upload watcher. `name` is set so logs and destinations show the class. */

/** One message (SQS record, EventBridge event, S3 record) that cannot be read. */
export interface MalformedMessage {
  /** SQS messageId, EventBridge id, SNS MessageId or `Records[i]` with the S3 request id. */
  messageId: string;
  problem: string;
}

/**
 * An asynchronous invocation (S3 or EventBridge) held messages that cannot be read. Thrown
 * after the readable records were published, so Lambda's retries and then the on-failure
 * destination (the DLQ) receive the event while nothing good is held back.
 */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    readonly malformed: MalformedMessage[],
    options?: ErrorOptions,
  ) {
    super(
      `${malformed.length} malformed message(s) in the event: ${malformed.map((m) => `${m.messageId}: ${m.problem}`).join('; ')}`,
      options,
    );
  }
}

/** A notification key that is not valid S3 URL encoding (e.g. a `%` not followed by two hex digits). */
export class KeyDecodingError extends Error {
  override readonly name = 'KeyDecodingError';
}
