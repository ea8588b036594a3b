/**
 * A local EventBridge API (AWS JSON 1.1, `X-Amz-Target: AWSEvents.<Op>`): PutEvents onto the
 * default bus or a bus of the stack (by name or ARN). Each accepted entry becomes an event as
 * EventBridge builds it (id, time, account, region) and goes to the local cloud's rules
 * (local/cloud/wiring), which route it by their patterns. Entry-level failures are answered
 * as EventBridge answers them: in `Entries`, counted in `FailedEntryCount`.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { requestParser, startAwsJsonServer, type RunningServer } from '../aws-json-server';

export const EVENTS_TARGET_PREFIX = 'AWSEvents';
/** PutEvents takes at most 10 entries per call. */
export const MAX_PUT_EVENTS_ENTRIES = 10;

/** An event as the bus routes it (and targets receive it). */
export interface PutEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface LocalEventBus {
  /** Bus names that exist: `default` and the stack's buses. */
  buses(): string[];
  /** Routes one event on the named bus; returns how many rules matched. */
  route(bus: string, event: PutEvent): number;
}

const parse = requestParser('ValidationException');
const PutEventsRequest = z.object({
  Entries: z.array(z.unknown()).min(1).max(MAX_PUT_EVENTS_ENTRIES, `at most ${MAX_PUT_EVENTS_ENTRIES} entries per call`),
});

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const busNameOf = (nameOrArn: string): string =>
  nameOrArn.startsWith('arn:') ? nameOrArn.slice(nameOrArn.indexOf(':event-bus/') + ':event-bus/'.length) : nameOrArn;

/** One PutEvents entry, turned into the event the bus routes, or the error EventBridge gives it. */
export function eventOfEntry(
  entry: unknown,
  context: { region: string; accountId: string; buses: string[]; now?: Date },
): { bus: string; event: PutEvent } | { ErrorCode: string; ErrorMessage: string } {
  const e = (entry ?? {}) as Record<string, unknown>;
  const missing = ['Source', 'DetailType', 'Detail'].filter((field) => typeof e[field] !== 'string' || e[field] === '');
  if (missing.length) return { ErrorCode: 'MalformedDetail', ErrorMessage: `Entry is missing ${missing.join(', ')}` };
  let detail: unknown;
  try {
    detail = JSON.parse(e.Detail as string) as unknown;
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it is not JSON' };
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it must be a JSON object' };
  }
  const bus = busNameOf(typeof e.EventBusName === 'string' && e.EventBusName !== '' ? e.EventBusName : 'default');
  if (!context.buses.includes(bus)) {
    return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
  }
  const time =
    typeof e.Time === 'number' ? new Date(e.Time * 1000) : typeof e.Time === 'string' ? new Date(e.Time) : (context.now ?? new Date());
  return {
    bus,
    event: {
      version: '0',
      id: randomUUID(),
      'detail-type': e.DetailType as string,
      source: e.Source as string,
      account: context.accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: context.region,
      resources: Array.isArray(e.Resources) ? e.Resources.map(String) : [],
      detail,
    },
  };
}

export function eventBridgeOperations(bus: LocalEventBus, context: { region: string; accountId: string }) {
  return {
    PutEvents(input: Record<string, unknown>) {
      const entries = parse(PutEventsRequest, input, 'PutEvents').Entries;
      const buses = bus.buses();
      const results: EntryResult[] = entries.map((entry) => {
        const built = eventOfEntry(entry, { ...context, buses });
        if ('ErrorCode' in built) return built;
        bus.route(built.bus, built.event);
        return { EventId: built.event.id };
      });
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    },
  };
}

export function startLocalEventBridge(options: {
  port: number;
  bus: LocalEventBus;
  region: string;
  accountId: string;
}): Promise<RunningServer> {
  return startAwsJsonServer({
    targetPrefix: EVENTS_TARGET_PREFIX,
    jsonVersion: '1.1',
    operations: eventBridgeOperations(options.bus, options),
    port: options.port,
  });
}
