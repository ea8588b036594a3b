/** Queue message bodies → typed messages, with errors that name the message and the field. */
import type * as v from '../shared/validation';

export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
}

export function parseMessage<T>(schema: v.Schema<T>, body: string, where: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidMessageError(`${where}: body is not JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new InvalidMessageError(`${where}: ${problems}`);
  }
  return parsed.data;
}
