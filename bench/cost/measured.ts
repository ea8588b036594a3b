/**
 * What the benchmarks measured that the cost model prices, each figure with the section of
 * bench/RESULTS.md it comes from. Re-run the benchmark and update the figure together with
 * RESULTS.md; the cost model's tests hold these to what RESULTS.md records.
 */
export const MEASURED = {
  eventPath: {
    /** "Cost per file and scale": 11,985 deliveries of 10,000 files, 5,000 two-file batches. */
    source: 'bench/RESULTS.md, The event path: Cost per file and scale (npm run bench:event-path, 2026-11-21)',
    filesPerBatch: 2,
    /** One UpdateItem per delivered file (a repeat fails its condition and reads instead). */
    dynamoWritesPerFile: 1.0,
    /** The run lock PutItem + the batch's started mark. */
    dynamoWritesPerBatchStart: 2.0,
    /**
     * Index writes the table writes cause (the bench counts requests, not capacity): an arrival
     * carries openState, so the Batches index `openState-deadline` is written too; the lock
     * puts a Runs item the `pipeline-requestedAt` index holds; the started mark removes
     * openState, which deletes the item from the Batches index. Each is one more write unit.
     * A batch's first arrival also puts it in the keys-only `pipeline-batchKey` index (the
     * batches a schedule selects), counted with the batch's start: its keys never change after.
     */
    indexWritesPerFile: 1.0,
    indexWritesPerBatchStart: 3.0,
    /** Watcher: 1,199 invocations (SQS batches of 10) in 2.8 s, 8 at a time: 18.7 ms each. */
    watcherMsPerInvocation: (2.8 * 1000 * 8) / 1199,
    /** Fan-in: 11,985 records in 26.5 s, one record after another: 2.2 ms a record (dynalite's writes, an upper bound). */
    fanInMsPerRecord: (26.5 * 1000) / 11985,
    /**
     * The watcher's record on the stream: a FileArrival of the sample's keys with a version id
     * and sequencer is 360 bytes as JSON. Kinesis bills it as one 1 KB unit (on-demand) or
     * one 25 KB PUT payload unit (provisioned); keys up to ~700 characters stay in one unit.
     */
    recordBytes: 360,
  },
  transitions: {
    /** "State transitions per run": 7 per run plus 3 per shard (sync and callback alike; the third keeps the shard's tries). */
    source: 'bench/RESULTS.md, State transitions per run (npm run bench:transitions, 2026-12-05)',
    perRun: 7,
    perShard: 3,
  },
  lambdaSteps: {
    /** "Bundle size and cold init per function": the state machine's two Lambda steps, cold. */
    source: 'bench/RESULTS.md, Bundle size and cold init per function (npm run bench:bundles, 2026-12-05)',
    prepareShardTasksMs: 49,
    summarizeRunMs: 59,
    /** Scheduled functions are priced at their cold init: the sweeper's is the largest, 153 ms. */
    scheduledInvocationMs: 153,
  },
} as const;
