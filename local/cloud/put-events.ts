/**
 * PutEvents against the local cloud's EventBridge endpoint, as the SDK sends it (AWS JSON 1.1),
 * for scenarios and tests; any SDK or the AWS CLI does the same
 * (`aws events put-events --endpoint-url <events endpoint> --entries ...`).
 */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  /** JSON text of an object. */
  Detail: string;
  EventBusName?: string;
  Resources?: string[];
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
}

export async function putEvents(endpoint: string, entries: PutEventsEntry[]): Promise<PutEventsResult> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({ Entries: entries }),
  });
  const body = (await response.json()) as PutEventsResult & { __type?: string; message?: string };
  if (!response.ok) throw new Error(`PutEvents failed (${response.status}): ${body.__type ?? ''} ${body.message ?? ''}`);
  return body;
}

/** An entry of the sample pipeline order-batch-closed's kind: the orders system closed a batch. */
export const orderBatchClosed = (idempotencyKey: string, region = 'AU'): PutEventsEntry => ({
  Source: 'com.acme.orders',
  DetailType: 'OrderBatchClosed',
  Detail: JSON.stringify({ data: { region, batch: `orders-${region.toLowerCase()}` }, metadata: { 'idempotency-key': idempotencyKey } }),
});
