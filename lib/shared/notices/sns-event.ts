/** SNS → Lambda events as the notice functions read them: validated, with an error naming the function. */
import * as v from '../validation';

export const SnsEventSchema = v.looseObject({
  Records: v
    .array(
      v.looseObject({
        Sns: v.looseObject({
          MessageId: v.string(),
          Message: v.string(),
          Subject: v.string().nullish(),
          MessageAttributes: v.record(v.string(), v.looseObject({ Type: v.string(), Value: v.string() })).optional(),
        }),
      }),
    )
    .min(1),
});
export type SnsRecord = v.Infer<typeof SnsEventSchema>['Records'][number];

export class InvalidSnsEventError extends Error {
  override readonly name = 'InvalidSnsEventError';
}

/** The records of an SNS event, or an error naming the function and what is wrong. */
export function snsRecords(event: unknown, functionName: string): SnsRecord[] {
  const parsed = SnsEventSchema.safeParse(event);
  if (!parsed.success)
    throw new InvalidSnsEventError(`${functionName} expects an SNS event: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data.Records;
}

/** The String message attributes of a record (the notice's pipeline, kind, ...). */
export const stringAttributes = (record: SnsRecord): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record.Sns.MessageAttributes ?? {}).flatMap(([name, value]) => (value.Type === 'String' ? [[name, value.Value]] : [])),
  );
