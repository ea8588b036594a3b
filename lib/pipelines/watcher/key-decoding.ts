/**
 * S3 notification keys (direct, through SQS, through SNS) are URL-encoded the way HTML
 * forms are: a space arrives as `+`, a literal `+` as `%2B`, and other reserved or
 * non-ASCII characters as UTF-8 %-escapes. EventBridge's `detail.object.key` is the key
 * as stored and must NOT go through this function (a `+` there is a real plus).
 */
import { KeyDecodingError } from './errors';

export function decodeNotificationKey(encoded: string): string {
  // `+` first: once %2B is decoded, a real plus must not turn into a space.
  const spaced = encoded.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch (error) {
    throw new KeyDecodingError(`key "${encoded}" is not valid S3 URL encoding (${(error as Error).message})`, { cause: error });
  }
}
