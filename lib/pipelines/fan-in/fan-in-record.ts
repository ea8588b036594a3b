/**
 * One Kinesis record of the fan-in: parse the FileArrival, record it on its batch in stream
 * order (records of one batch one after another, batches in parallel), start the run when the
 * batch is complete, and report the outcome. A failure is reported once here and thrown, so the
 * caller fails this record only (partial batch response).
 */
import { InvalidArrivalError, parseArrival } from './parse-arrival';
import { recordArrival, type ArrivalOutcome, type RecordArrivalDeps } from './record-arrival';
import { arrivalLog, reportInvalidRecord } from './reporting';
import type { keyedQueue } from './keyed-queue';

export interface FanInRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** base64, as in a Lambda Kinesis event. */
  data: string;
}

export interface FanInInvocation {
  /** One per invocation: keeps the records of one batch in stream order. */
  inOrder: ReturnType<typeof keyedQueue>;
  /** The invocation's remaining time: bounds how long a live run lock is waited out. */
  remainingMs: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function fanInRecord(record: FanInRecord, invocation: FanInInvocation, deps: RecordArrivalDeps): Promise<ArrivalOutcome> {
  let arrival;
  try {
    arrival = parseArrival(record.sequenceNumber, record.data);
  } catch (error) {
    if (error instanceof InvalidArrivalError) reportInvalidRecord(record.sequenceNumber, record.partitionKey, error.problem);
    throw error;
  }
  const report = arrivalLog(arrival, record.sequenceNumber);
  try {
    const lockWait = { sleep: invocation.sleep ?? sleep, remainingMs: invocation.remainingMs };
    const outcome = await invocation.inOrder(`${arrival.pipeline}#${arrival.batchKey}`, () =>
      recordArrival(arrival, { ...deps, lockWait }),
    );
    report.recorded(outcome);
    return outcome;
  } catch (error) {
    report.failed(error);
    throw error;
  }
}
