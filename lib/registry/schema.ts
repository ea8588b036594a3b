/**
 * The pipeline registry (`pipelines.yml`): the one file users edit to declare pipelines.
 * Every object is strict, so a misspelt key is an error rather than a silently
 * ignored setting.
 */
import * as z from 'zod';
import { compilePattern, folderOf, PatternSyntaxError } from './patterns';
import { BatchTemplateError, isTimeZone, parseBatchTemplate } from './batch-template';
import { ScheduleExpressionError, validateScheduleExpression } from './schedule-expression';
import { TASK_ENV } from '../contracts/task-contract';
import { eventPatternProblems } from '../shared/event-pattern';
import { JsonPathError, parseJsonPath } from '../shared/json-path';
import { DEFAULT_BURST, DEFAULT_PREDICTIVE } from './queue-service-defaults';
import {
  ARCHITECTURES,
  CAPACITIES,
  ImageSchema,
  LocalRunSchema,
  MAX_EPHEMERAL_STORAGE_GIB,
  MIN_EPHEMERAL_STORAGE_GIB,
  OwnerSchema,
  PlacementSchema,
  PolicyStatementSchema,
  SecretsSchema,
  StackCapacitySchema,
  sameImage,
  statementProblems,
} from './container';
import { DEFAULT_RETRY } from '../contracts/retry';

export const MAX_SHARDS = 20;
/** Tries after the first, per failure class: each keeps the shard's record (and the state) small. */
export const MAX_RETRY_ATTEMPTS = 5;
export const MAX_RETRY_INTERVAL_SECONDS = 3600;

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

const patternString = z.string().superRefine((value, ctx) => {
  try {
    compilePattern(value);
  } catch (error) {
    if (!(error instanceof PatternSyntaxError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

const scheduleExpression = z.string().superRefine((value, ctx) => {
  try {
    validateScheduleExpression(value);
  } catch (error) {
    if (!(error instanceof ScheduleExpressionError)) throw error;
    ctx.addIssue({ code: 'custom', message: `bad schedule expression "${value}": ${error.message}` });
  }
});

/** A JSONPath (lib/shared/json-path.ts) to the value that names a run: one run per value. */
const batchKeyPath = z.string().superRefine((value, ctx) => {
  try {
    parseJsonPath(value);
  } catch (error) {
    if (!(error instanceof JsonPathError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

/** `default`, a name of a bus the stack creates, or the ARN of an existing bus. */
export const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._/-]{1,256}$/;
const EVENT_BUS_NAME = /^[A-Za-z0-9._-]{1,256}$/;

export const EventsTriggerSchema = z.strictObject({
  bus: z
    .string()
    .refine((bus) => EVENT_BUS_ARN.test(bus) || (EVENT_BUS_NAME.test(bus) && !bus.startsWith('aws.')), {
      error: (issue) =>
        `bus "${String(issue.input)}" is neither default, a bus name (letters, digits, . _ -; not aws.…) nor an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)`,
    })
    .default('default'),
  /** An EventBridge event pattern, checked by the project's one matcher (lib/shared/event-pattern.ts). */
  pattern: z.record(z.string(), z.unknown()).superRefine((pattern, ctx) => {
    for (const problem of eventPatternProblems(pattern)) ctx.addIssue({ code: 'custom', message: `not a valid event pattern: ${problem}` });
  }),
  /** JSONPath into the event: its value names the run (one run per value). */
  batchKey: batchKeyPath,
});

export const QueueTriggerSchema = z.strictObject({
  /** JSONPath into the message body (JSON): its value names the run (one run per value). */
  batchKey: batchKeyPath,
  /** A FIFO queue (`.fifo`, content-based deduplication): messages start runs in order per message group. */
  fifo: z.boolean().default(false),
  /** Receives before a message moves to the pipeline's dead-letter queue. */
  maxReceiveCount: z
    .number()
    .int()
    .min(1, 'maxReceiveCount must be at least 1')
    .max(1000, 'maxReceiveCount must be at most 1000')
    .default(3),
});

/**
 * How a batch of unknown size completes (README "Batches of unknown size"): exactly one of
 * a manifest listing its files, a marker object that closes it, or a quiet period.
 */
export const CompleteSchema = z.strictObject({
  /** Key template of the batch's manifest (same captures as the files): run when every file it lists arrived. */
  manifest: z.string().optional(),
  /** Key template of the batch's marker (`_SUCCESS`): run with every file under its folder when it lands. */
  marker: z.string().optional(),
  /** Run when no new file of the batch arrived for this many minutes (the sweeper starts it). */
  quietMinutes: z.number().int('quietMinutes is a whole number of minutes').positive('quietMinutes must be at least 1').optional(),
});

export const TriggerSchema = z
  .strictObject({
    /** Bucket the files land in; defaults to the stack's uploads bucket (or the existing one it is given). */
    bucket: z.string().min(3).optional(),
    /** Every pattern must start with this prefix; defaults to the patterns' common literal prefix. */
    prefix: z.string().optional(),
    /** Logical file name → key pattern with `{captures}` forming the batch key. */
    files: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'file names are lower-case words'), patternString)
      .refine((files) => Object.keys(files).length > 0, 'a pipeline needs at least one file')
      .optional(),
    /**
     * How long to wait, from the first file of a batch, for the rest before the batch is overdue.
     * Required with files, except with complete.quietMinutes (the quiet period closes the batch).
     */
    windowMinutes: z.number().positive('window must be greater than 0').optional(),
    /** Start a fresh run when a file of an already-run batch is uploaded again. */
    rerunOnReupload: z.boolean().default(false),
    /** A batch of unknown size: the rule that completes it (absent: every named file). */
    complete: CompleteSchema.optional(),
    /** Runs started by EventBridge events that match a pattern (README "Events"). */
    events: EventsTriggerSchema.optional(),
    /** Runs started by messages on the pipeline's own SQS queue (README "Queue"). */
    queue: QueueTriggerSchema.optional(),
  })
  .superRefine((trigger, ctx) => {
    const kinds = (['files', 'events', 'queue'] as const).filter((kind) => trigger[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: kinds.length ? [kinds[1]!] : [],
        message:
          kinds.length === 0
            ? 'a trigger has files, events or queue'
            : `a trigger has one of files, events or queue, not ${kinds.join(' and ')}: declare another pipeline for the other`,
      });
    }
    if (trigger.files !== undefined && trigger.windowMinutes === undefined && trigger.complete?.quietMinutes === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['windowMinutes'],
        message: 'a files trigger needs windowMinutes (how long a batch may wait for its files), or complete.quietMinutes',
      });
    }
    if (trigger.files === undefined) {
      for (const field of ['windowMinutes', 'prefix', 'bucket', 'complete'] as const) {
        if (trigger[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: `${field} applies to a files trigger only` });
        }
      }
    }
  });

/** Retries of a failure class that backs off: `attempts` more tries, waiting intervalSeconds × backoff^(n-1) before the n-th. */
const backoffRetry = (attempts: number) =>
  z.strictObject({
    attempts: z
      .number()
      .int()
      .min(0, `attempts must be 0..${MAX_RETRY_ATTEMPTS} (tries after the first)`)
      .max(MAX_RETRY_ATTEMPTS, `attempts must be 0..${MAX_RETRY_ATTEMPTS} (tries after the first)`)
      .default(attempts),
    intervalSeconds: z
      .number()
      .int()
      .min(1, 'intervalSeconds must be 1..3600')
      .max(MAX_RETRY_INTERVAL_SECONDS, `intervalSeconds must be 1..${MAX_RETRY_INTERVAL_SECONDS}`)
      .default(DEFAULT_RETRY.capacity.intervalSeconds),
    backoff: z
      .number()
      .min(1, 'backoff must be 1..10 (each wait is the last one times backoff)')
      .max(10, 'backoff must be 1..10')
      .default(2),
  });

/**
 * Retries by failure class (README "Retries by failure class"): how often a failed shard is
 * tried again, by what failed it. `attempts` counts the tries after the first.
 */
export const RetrySchema = z.strictObject({
  /** RunTask could not place the task (Fargate capacity unavailable, RESOURCE:*). */
  capacity: backoffRetry(DEFAULT_RETRY.capacity.attempts).default(DEFAULT_RETRY.capacity),
  /** The task's Fargate Spot capacity was reclaimed (stop code SpotInterruption). */
  spotInterruption: z
    .strictObject({
      attempts: z
        .number()
        .int()
        .min(0, `attempts must be 0..${MAX_RETRY_ATTEMPTS} (tries after the first)`)
        .max(MAX_RETRY_ATTEMPTS, `attempts must be 0..${MAX_RETRY_ATTEMPTS} (tries after the first)`)
        .default(DEFAULT_RETRY.spotInterruption.attempts),
      /** Run the retry on FARGATE (on-demand) instead of Fargate Spot again. */
      fallbackToOnDemand: z.boolean().default(DEFAULT_RETRY.spotInterruption.fallbackToOnDemand),
    })
    .default(DEFAULT_RETRY.spotInterruption),
  /** The container could not be started: CannotPullContainerError, ResourceInitializationError. */
  imagePull: backoffRetry(DEFAULT_RETRY.imagePull.attempts).default(DEFAULT_RETRY.imagePull),
  /** The container ran and failed (non-zero exit, reported failure, out of memory): not retried unless asked. */
  containerError: backoffRetry(DEFAULT_RETRY.containerError.attempts).default(DEFAULT_RETRY.containerError),
});
export type RetrySettings = z.infer<typeof RetrySchema>;

export const TaskSchema = z.strictObject({
  /**
   * Logical task definition name (default: the pipeline's name); the family is
   * `<service>-<stage>-<name>`. Pipelines that name the same one share its container.
   */
  taskDefinition: z.string().regex(NAME, 'task definition names are lower-case words with dashes').optional(),
  container: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$/, 'container names are letters, digits, - and _'),
  /** An image URI, or `{ build: { context, dockerfile, target } }` (built by `npm run deploy`). */
  image: ImageSchema,
  /** The image's and the task's CPU architecture (ECS's default is X86_64). */
  architecture: z.enum(ARCHITECTURES, { error: 'architecture is ARM64 or X86_64' }).default('X86_64'),
  command: z.array(z.string()).min(1).optional(),
  cpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096), z.literal(8192), z.literal(16384)]),
  memory: z.number().int().min(512).max(122880),
  shards: z.number().int().min(1, 'shards must be at least 1').max(MAX_SHARDS, `shards must be at most ${MAX_SHARDS}`).default(1),
  maxConcurrency: z.number().int().min(1).max(MAX_SHARDS).optional(),
  /** Runs of this pipeline at once; more wait as QUEUED, in arrival order (README "Run control"). */
  maxConcurrentRuns: z.number().int().min(1, 'maxConcurrentRuns must be at least 1').max(1000).optional(),
  /** Retries of a failed shard by failure class (README "Retries by failure class"); every class has defaults. */
  retry: RetrySchema.default(DEFAULT_RETRY),
  /**
   * sync: RunTask and wait for the exit; callback: RunTask and wait for the container's
   * SendTask*; activity: a Step Functions Activity whose ECS service of workers polls for
   * the shards (README "Activity workers").
   */
  launch: z.enum(['sync', 'callback', 'activity'], { error: 'launch is sync, callback or activity' }),
  /** Activity launches: the service of workers polling the pipeline's activity. */
  workers: z
    .strictObject({
      minTasks: z.number().int().min(0).max(100).default(1),
      maxTasks: z.number().int().min(1).max(100).default(4),
      /** How long ECS waits between SIGTERM and SIGKILL: the worker hands its shard back within it. */
      stopTimeoutSeconds: z.number().int().min(2).max(120).default(30),
    })
    .optional(),
  timeoutSeconds: z.number().int().min(60).max(31_536_000),
  // The heartbeat clock starts at RunTask: a Fargate task must be placed, pull its image and
  // start before its first heartbeat, which commonly takes tens of seconds.
  heartbeatSeconds: z
    .number()
    .int()
    .min(60, 'heartbeatSeconds must be at least 60: the task must start and send its first heartbeat within it')
    .optional(),
  /** Fargate task storage in GiB (Fargate gives 20 without it). */
  ephemeralStorageGiB: z
    .number()
    .int()
    .min(MIN_EPHEMERAL_STORAGE_GIB, `ephemeralStorageGiB must be ${MIN_EPHEMERAL_STORAGE_GIB}..${MAX_EPHEMERAL_STORAGE_GIB} (Fargate)`)
    .max(MAX_EPHEMERAL_STORAGE_GIB, `ephemeralStorageGiB must be ${MIN_EPHEMERAL_STORAGE_GIB}..${MAX_EPHEMERAL_STORAGE_GIB} (Fargate)`)
    .optional(),
  capacity: z.enum(CAPACITIES, { error: 'capacity is fargate, fargate-spot or ec2' }).default('fargate'),
  /** ECS placement constraints and strategies: capacity ec2 only. */
  placement: PlacementSchema.optional(),
  /** Plain values, passed with each run. Secrets go in `secrets`. */
  environment: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
  /** Name → Secrets Manager ARN, SSM parameter ARN or name: injected by ECS, never in plain text. */
  secrets: SecretsSchema.default({}),
  /** IAM statements this pipeline's task role gets besides what the stack gives every pipeline. */
  policies: z.array(PolicyStatementSchema).default([]),
  /** How the local cloud runs this container (npm run local): its folder and local environment. */
  local: LocalRunSchema.optional(),
});

const batchTemplate = z.string().superRefine((value, ctx) => {
  try {
    parseBatchTemplate(value);
  } catch (error) {
    if (!(error instanceof BatchTemplateError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});

/** What a schedule does with a batch that is not complete when it fires (README "Schedules"). */
export const WhenIncompleteSchema = z.enum(['run', 'skip', 'notify'], { error: 'whenIncomplete is run, skip or notify' });
export const DEFAULT_WHEN_INCOMPLETE = 'notify' as const;

export const ScheduleSchema = z.strictObject({
  expression: scheduleExpression,
  /** IANA time zone the expression is read in (EventBridge Scheduler follows its daylight-saving changes); default UTC. */
  timezone: z
    .string()
    .refine(isTimeZone, {
      error: (issue) => `unknown time zone "${String(issue.input)}": use an IANA name such as Europe/Berlin or America/New_York`,
    })
    .default('UTC'),
  enabled: z.boolean().default(true),
  /**
   * Capture → template of the fire time: the batch (or batches, when a capture is left out)
   * a firing runs. Absent: each firing is one run without files.
   */
  batch: z.record(z.string(), batchTemplate).optional(),
  /** With `batch`: a batch not complete at fire time runs with what arrived, is skipped, or is reported (default notify). */
  whenIncomplete: WhenIncompleteSchema.optional(),
});

export const AlarmsSchema = z.strictObject({
  maxRuntimeSeconds: z.number().int().positive().optional(),
  maxRecordsAffected: z.number().int().positive().optional(),
  /** A run whose estimated cost (USD: Fargate time and transitions) is above this is an anomaly. */
  maxRunCostUsd: z.number().positive().optional(),
  /** Alarm when this many runs fail within an hour (default 1). */
  failuresPerHour: z.number().int().positive().default(1),
});

export const PipelineSchema = z
  .strictObject({
    description: z.string().optional(),
    trigger: TriggerSchema.optional(),
    task: TaskSchema,
    schedule: ScheduleSchema.optional(),
    alarms: AlarmsSchema.default({ failuresPerHour: 1 }),
    /** Who runs this pipeline: its notices and alarms reach them too. */
    owner: OwnerSchema.optional(),
  })
  .superRefine((pipeline, ctx) => {
    const { task } = pipeline;
    checkContainer(task, ctx);
    if (task.launch === 'callback' && task.heartbeatSeconds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['task', 'heartbeatSeconds'], message: 'a callback pipeline needs heartbeatSeconds' });
    }
    if (task.launch === 'activity' && task.heartbeatSeconds === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['task', 'heartbeatSeconds'],
        message: 'an activity pipeline needs heartbeatSeconds: a worker that dies mid-shard is noticed by its silence',
      });
    }
    if (task.workers !== undefined && task.launch !== 'activity') {
      ctx.addIssue({ code: 'custom', path: ['task', 'workers'], message: 'workers apply to launch activity only' });
    }
    if (task.workers !== undefined && task.workers.minTasks > task.workers.maxTasks) {
      ctx.addIssue({ code: 'custom', path: ['task', 'workers', 'minTasks'], message: 'workers.minTasks must not exceed workers.maxTasks' });
    }
    if (task.launch === 'activity' && task.capacity === 'ec2') {
      ctx.addIssue({
        code: 'custom',
        path: ['task', 'capacity'],
        message: 'activity workers run on Fargate (fargate or fargate-spot), not ec2',
      });
    }
    if (task.heartbeatSeconds !== undefined && task.heartbeatSeconds >= task.timeoutSeconds) {
      ctx.addIssue({ code: 'custom', path: ['task', 'heartbeatSeconds'], message: 'heartbeatSeconds must be below timeoutSeconds' });
    }
    const reserved = Object.keys(task.environment).filter((name) => name in TASK_ENV);
    if (reserved.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['task', 'environment'],
        message: `${reserved.join(', ')} ${reserved.length > 1 ? 'are' : 'is'} set by the run itself; choose another name`,
      });
    }
    if (!pipeline.trigger && !pipeline.schedule) {
      ctx.addIssue({ code: 'custom', path: ['trigger'], message: 'a pipeline needs a trigger, a schedule, or both' });
    }
    const schedule = pipeline.schedule;
    if (schedule?.whenIncomplete !== undefined && schedule.batch === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule', 'whenIncomplete'],
        message: 'whenIncomplete applies to a schedule that runs batches: set schedule.batch too',
      });
    }
    if (schedule?.batch !== undefined) {
      if (!pipeline.trigger?.files) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedule', 'batch'],
          message: 'schedule.batch names captures of trigger.files, and this pipeline has no trigger.files',
        });
      } else {
        let captures: string[] = [];
        try {
          captures = compilePattern(Object.values(pipeline.trigger.files)[0] ?? '').captures;
        } catch {
          // The pattern's own issue reports it.
        }
        const names = Object.keys(schedule.batch);
        if (names.length === 0)
          ctx.addIssue({ code: 'custom', path: ['schedule', 'batch'], message: 'schedule.batch needs at least one capture' });
        for (const name of names) {
          if (captures.length > 0 && !captures.includes(name)) {
            ctx.addIssue({
              code: 'custom',
              path: ['schedule', 'batch', name],
              message: `{${name}} is not a capture of trigger.files (the batch key is {${captures.join('}, {')}})`,
            });
          }
        }
      }
    }
    if (pipeline.trigger?.files) checkCompletion(pipeline.trigger, pipeline.trigger.files, ctx);
    if (pipeline.trigger?.files) {
      // zod runs this check even when a field failed; the field's own issue reports a bad pattern.
      const compiled = Object.entries(pipeline.trigger.files).flatMap(([file, source]) => {
        try {
          return [[file, compilePattern(source)] as const];
        } catch {
          return [];
        }
      });
      if (compiled.length === 0) return;
      const [firstFile, first] = compiled[0]!;
      for (const [file, pattern] of compiled) {
        if ([...pattern.captures].sort().join() !== [...first.captures].sort().join()) {
          ctx.addIssue({
            code: 'custom',
            path: ['trigger', 'files', file],
            message: `captures {${pattern.captures.join('}, {')}} differ from {${first.captures.join('}, {')}} of "${firstFile}": every file of a batch must carry the same batch key`,
          });
        }
        const prefix = pipeline.trigger.prefix;
        if (prefix !== undefined && !pattern.source.startsWith(prefix)) {
          ctx.addIssue({ code: 'custom', path: ['trigger', 'files', file], message: `pattern does not start with the prefix "${prefix}"` });
        }
      }
    }
  });

/** trigger.complete and what it asks of the files, the window and the other trigger fields. */
function checkCompletion(trigger: z.infer<typeof TriggerSchema>, files: Record<string, string>, ctx: z.RefinementCtx): void {
  const at = (...path: string[]) => ['trigger', ...path];
  const complete = trigger.complete;
  const rules = complete ? (['manifest', 'marker', 'quietMinutes'] as const).filter((rule) => complete[rule] !== undefined) : [];
  if (complete && rules.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path: at('complete'),
      message: `takes exactly one rule: manifest, marker or quietMinutes (${rules.length ? `got ${rules.join(' and ')}` : 'got none'})`,
    });
  }
  if (complete?.quietMinutes !== undefined && trigger.windowMinutes !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: at('windowMinutes'),
      message: 'does not apply with complete.quietMinutes: the quiet period closes the batch; remove windowMinutes',
    });
  }
  if (!complete) {
    for (const [file, source] of Object.entries(files)) {
      if (source.includes('*')) {
        ctx.addIssue({
          code: 'custom',
          path: at('files', file),
          message:
            'a * pattern matches many files of a batch: it needs a completion rule (trigger.complete: manifest, marker or quietMinutes)',
        });
      }
    }
    return;
  }
  if (trigger.rerunOnReupload) {
    ctx.addIssue({
      code: 'custom',
      path: at('rerunOnReupload'),
      message: 'applies to batches of named files; a batch with a completion rule runs once',
    });
  }
  let captures: string[] | undefined;
  try {
    captures = compilePattern(Object.values(files)[0] ?? '').captures;
  } catch {
    // The pattern's own issue reports it.
  }
  for (const rule of ['manifest', 'marker'] as const) {
    const template = complete[rule];
    if (template === undefined) continue;
    let compiled;
    try {
      compiled = compilePattern(template);
    } catch (error) {
      if (!(error instanceof PatternSyntaxError)) throw error;
      ctx.addIssue({ code: 'custom', path: at('complete', rule), message: error.message });
      continue;
    }
    if (compiled.wildcard) {
      ctx.addIssue({
        code: 'custom',
        path: at('complete', rule),
        message: `"${template}" names one object per batch: use captures, not *`,
      });
    }
    if (captures && [...compiled.captures].sort().join() !== [...captures].sort().join()) {
      ctx.addIssue({
        code: 'custom',
        path: at('complete', rule),
        message: `"${template}" has captures {${compiled.captures.join('}, {')}} but the files have {${captures.join('}, {')}}: the ${rule} must carry the same batch key`,
      });
    }
    if (trigger.prefix !== undefined && !template.startsWith(trigger.prefix)) {
      ctx.addIssue({
        code: 'custom',
        path: at('complete', rule),
        message: `"${template}" does not start with the prefix "${trigger.prefix}"`,
      });
    }
    if (rule === 'marker') {
      const folder = folderOf(template);
      for (const [file, source] of Object.entries(files)) {
        if (!source.startsWith(folder) || source.slice(folder.length).includes('/')) {
          ctx.addIssue({
            code: 'custom',
            path: at('files', file),
            message: `"${source}" is not directly in the marker's folder "${folder}": the marker's batch is the files listed in its folder`,
          });
        }
      }
    }
  }
}

/** What a pipeline's container settings say about each other (task.*). */
function checkContainer(task: z.infer<typeof TaskSchema>, ctx: z.RefinementCtx): void {
  const at = (...path: Array<string | number>) => ['task', ...path];
  if (task.placement !== undefined && task.capacity !== 'ec2') {
    ctx.addIssue({
      code: 'custom',
      path: at('placement'),
      message: `placement applies to capacity ec2 only: Fargate places tasks itself (this pipeline's capacity is ${task.capacity})`,
    });
  }
  if (task.capacity === 'fargate-spot' && task.architecture === 'ARM64') {
    ctx.addIssue({
      code: 'custom',
      path: at('capacity'),
      message: 'Fargate Spot runs X86_64 tasks only: set task.architecture to X86_64, or capacity to fargate',
    });
  }
  if (task.capacity === 'ec2' && task.ephemeralStorageGiB !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: at('ephemeralStorageGiB'),
      message: "ephemeralStorageGiB applies to Fargate; EC2 tasks use the instance's volume (capacity.ec2.rootVolumeGiB)",
    });
  }
  for (const name of Object.keys(task.secrets ?? {})) {
    if (name in (task.environment ?? {})) {
      ctx.addIssue({
        code: 'custom',
        path: at('secrets', name),
        message: `${name} is in task.environment too: a variable is either a secret or a plain value`,
      });
    }
    if (name in TASK_ENV) {
      ctx.addIssue({ code: 'custom', path: at('secrets', name), message: `${name} is set by the run itself; choose another name` });
    }
  }
  (task.policies ?? []).forEach((statement, index) => {
    for (const message of statementProblems(statement)) ctx.addIssue({ code: 'custom', path: at('policies', index), message });
  });
}

/**
 * A queue service: a long-running ECS service consuming its own SQS queue, scaled on
 * backlog per task (visible messages / running tasks) against a target of
 * acceptable latency / average processing time that the target updater re-tunes.
 */
export const QueueSchema = z.strictObject({
  /** `fifo` keeps per-group order (at most 300 receives/s without high throughput mode). */
  type: z.enum(['standard', 'fifo'], { error: 'queue type is "standard" or "fifo"' }).default('standard'),
  /** Receives before a message moves to the dead-letter queue. */
  maxReceiveCount: z.number().int().min(1, 'maxReceiveCount must be at least 1').max(1000, 'maxReceiveCount must be at most 1000'),
  /** The first lease on a received message; the worker extends it while it works. */
  visibilityTimeoutSeconds: z
    .number()
    .int()
    .min(10, 'visibilityTimeoutSeconds must be at least 10 (the worker extends it at a fraction of it)')
    .max(43_200, 'visibilityTimeoutSeconds must be at most 43200 (12 hours)'),
  retentionSeconds: z.number().int().min(60).max(1_209_600).default(345_600),
  /** FIFO only: deduplicate on a hash of the body instead of a MessageDeduplicationId. */
  contentBasedDeduplication: z.boolean().optional(),
});

export const QueueTaskSchema = z.strictObject({
  container: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'container names are lower-case words with dashes'),
  command: z.array(z.string()).min(1).optional(),
  cpu: TaskSchema.shape.cpu,
  memory: TaskSchema.shape.memory,
  environment: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'environment names are UPPER_SNAKE_CASE'), z.string()).default({}),
  /** Messages one task works on at once (receive batches never exceed it). */
  concurrency: z.number().int().min(1).max(100).default(1),
  /** Seconds ECS waits after SIGTERM before SIGKILL (the drain deadline), 2-120 on Fargate. */
  stopTimeoutSeconds: z.number().int().min(2).max(120).default(30),
});

const cronExpression = scheduleExpression.refine((value) => value.startsWith('cron('), 'a scheduled action needs cron(...)');

export const ScheduledActionSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'scheduled action names are lower-case words with dashes'),
    schedule: cronExpression,
    /** IANA time zone of the cron expression (default UTC). */
    timezone: z.string().min(1).optional(),
    minTasks: z.number().int().min(0).optional(),
    maxTasks: z.number().int().min(1).optional(),
  })
  .refine((action) => action.minTasks !== undefined || action.maxTasks !== undefined, 'a scheduled action sets minTasks, maxTasks or both')
  .refine((action) => action.minTasks === undefined || action.maxTasks === undefined || action.minTasks <= action.maxTasks, {
    message: 'minTasks must not exceed maxTasks',
    path: ['minTasks'],
  });

export const TargetUpdateSchema = z.strictObject({
  /** How often the updater re-tunes the target (EventBridge schedule expression). */
  schedule: scheduleExpression.default('rate(1 hour)'),
  enabled: z.boolean().default(true),
  /** Relative change below which the policy is left alone (0.1 = 10 %). */
  tolerance: z.number().min(0, 'tolerance is a fraction from 0 to 1').max(1, 'tolerance is a fraction from 0 to 1').default(0.1),
  /** Upper bound of backlog per task: guards against a burst of near-instant messages. */
  maxTarget: z.number().min(1, 'maxTarget must be at least 1').max(100_000).default(1000),
  /**
   * Share of the acceptable latency the standing backlog may use: target = headroom ×
   * acceptableLatencySeconds × task.concurrency / average processing time. Target tracking
   * holds backlog per task AT the target, where a message waits the whole budget, so a p95
   * goal needs headroom below 1. Absent: DEFAULT_HEADROOM of lib/queue-services/target-math.ts,
   * chosen with bench/scaling-sim.ts (kept out of the parsed value so the default lives in one place).
   */
  headroom: z
    .number()
    .gt(0, 'headroom is a fraction greater than 0 and at most 1')
    .max(1, 'headroom is a fraction greater than 0 and at most 1')
    .optional(),
});

/** `burst.scaleIn`: the burst path's scale-in on busy slots (lib/queue-services/burst-math.ts). */
export const BurstScaleInSchema = z
  .strictObject({
    /** Scale in when busy slots stay under this fraction. */
    busyBelow: z
      .number()
      .gt(0, 'burst scaleIn busyBelow is a fraction greater than 0 and less than 1')
      .lt(1, 'burst scaleIn busyBelow is a fraction greater than 0 and less than 1')
      .default(DEFAULT_BURST.scaleIn.busyBelow),
    /** ... back to this fraction of busy slots. */
    busyTarget: z
      .number()
      .gt(0, 'burst scaleIn busyTarget is a fraction greater than 0 and at most 1')
      .max(1, 'burst scaleIn busyTarget is a fraction greater than 0 and at most 1')
      .default(DEFAULT_BURST.scaleIn.busyTarget),
    /** At most this percentage of the tasks per scale-in. */
    maxPercent: z
      .number()
      .int()
      .min(1, 'burst scaleIn maxPercent must be at least 1')
      .max(90, 'burst scaleIn maxPercent must be at most 90')
      .default(DEFAULT_BURST.scaleIn.maxPercent),
    /** Consecutive one-minute datapoints under busyBelow first. */
    datapoints: z
      .number()
      .int()
      .min(1, 'burst scaleIn datapoints must be at least 1')
      .max(60, 'burst scaleIn datapoints must be at most 60')
      .default(DEFAULT_BURST.scaleIn.datapoints),
    cooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600, 'burst scaleIn cooldownSeconds must be at most 3600')
      .default(DEFAULT_BURST.scaleIn.cooldownSeconds),
  })
  .refine((scaleIn) => scaleIn.busyTarget > scaleIn.busyBelow, {
    message: 'burst scaleIn busyTarget must be greater than busyBelow (else a scale-in would leave the slots idle again)',
    path: ['busyTarget'],
  });

/**
 * The burst path: a step scaling policy on a high-resolution backlog-per-task alarm, beside
 * target tracking. `burst: {}` takes every default (./queue-service-defaults.ts, chosen with
 * bench/scaling-sim.ts).
 */
export const BurstSchema = z.strictObject({
  /** The alarm's period, seconds: 10, 20 or 30 (a high-resolution alarm; the worker emits at this period). */
  periodSeconds: z
    .number()
    .refine((value) => value === 10 || value === 20 || value === 30, 'burst periodSeconds is 10, 20 or 30 (a high-resolution alarm period)')
    .default(DEFAULT_BURST.periodSeconds),
  /** Consecutive periods above the threshold before the policy adds tasks. */
  datapoints: z
    .number()
    .int()
    .min(1, 'burst datapoints must be at least 1')
    .max(6, 'burst datapoints must be at most 6')
    .default(DEFAULT_BURST.datapoints),
  /** Alarm threshold as a multiple of the deployed backlog-per-task target. */
  thresholdFactor: z
    .number()
    .gt(0, 'burst thresholdFactor must be greater than 0')
    .max(10, 'burst thresholdFactor must be at most 10')
    .default(DEFAULT_BURST.thresholdFactor),
  /** The step policy's cooldown: its last scale-out counts toward the next until it ends. */
  cooldownSeconds: z.number().int().min(0).max(3600, 'burst cooldownSeconds must be at most 3600').default(DEFAULT_BURST.cooldownSeconds),
  /** The largest step, in percent of the capacity. */
  maxStepPercent: z
    .number()
    .int()
    .min(50, 'burst maxStepPercent must be at least 50')
    .max(10_000, 'burst maxStepPercent must be at most 10000')
    .default(DEFAULT_BURST.maxStepPercent),
  /**
   * Idle tasks given back by a step policy on busy slots ((visible + in-flight messages) /
   * (tasks × concurrency)) instead of target tracking's slow scale-in, which is disabled.
   * `false` keeps target tracking's scale-in.
   */
  scaleIn: z.union([z.literal(false), BurstScaleInSchema]).default({ ...DEFAULT_BURST.scaleIn }),
});

/**
 * Predictive scaling (Application Auto Scaling PredictiveScaling, supported for ECS services):
 * an hourly forecast of the queue's NumberOfMessagesSent from at least 24 hours of history.
 */
export const PredictiveSchema = z.strictObject({
  /** ForecastOnly to review forecasts first; ForecastAndScale to act on them. */
  mode: z
    .enum(['ForecastAndScale', 'ForecastOnly'], { error: 'predictive mode is "ForecastAndScale" or "ForecastOnly"' })
    .default('ForecastAndScale'),
  /** How long before each forecast hour its capacity starts (SchedulingBufferTime, below 3600). */
  schedulingBufferSeconds: z
    .number()
    .int()
    .min(0)
    .max(3599, 'predictive schedulingBufferSeconds must be below 3600 (one forecast hour)')
    .default(DEFAULT_PREDICTIVE.schedulingBufferSeconds),
  /** Share of a task's message rate the forecast capacity plans for (TargetValue). */
  utilization: z
    .number()
    .gt(0, 'predictive utilization is a fraction greater than 0 and at most 1')
    .max(1, 'predictive utilization is a fraction greater than 0 and at most 1')
    .default(DEFAULT_PREDICTIVE.utilization),
});

export const QueueServiceSchema = z
  .strictObject({
    description: z.string().optional(),
    /** A sample: deployed only where the stage asks for samples (param samples; its tasks run all day). */
    sample: z.boolean().default(false),
    queue: QueueSchema,
    task: QueueTaskSchema,
    /** How long a message may wait in the queue and be worked on, at most. */
    acceptableLatencySeconds: z.number().positive('acceptableLatencySeconds must be greater than 0'),
    /** Seeds the first target (acceptable latency / this) until measurements exist. */
    expectedProcessingSeconds: z.number().positive('expectedProcessingSeconds must be greater than 0').default(1),
    /** At least 1: with no running task the backlog-per-task metric has no task count to divide by. */
    minTasks: z
      .number()
      .int()
      .min(1, 'minTasks must be at least 1: target tracking needs a running task to measure backlog per task')
      .default(1),
    maxTasks: z.number().int().min(1).max(1000),
    scaleInCooldownSeconds: z.number().int().min(0).max(86_400).default(300),
    // 180 s: shorter lets target tracking add tasks again before the last ones started and
    // overshoot to maxTasks (bench/RESULTS.md, queue services).
    scaleOutCooldownSeconds: z.number().int().min(0).max(86_400).default(180),
    targetUpdate: TargetUpdateSchema.default({ schedule: 'rate(1 hour)', enabled: true, tolerance: 0.1, maxTarget: 1000 }),
    scheduledActions: z.array(ScheduledActionSchema).default([]),
    /** Opt in to the burst path (`burst: {}` for the defaults). */
    burst: BurstSchema.optional(),
    /** Opt in to predictive scaling (`predictive: {}` for the defaults). */
    predictive: PredictiveSchema.optional(),
  })
  .superRefine((service, ctx) => {
    if (service.minTasks > service.maxTasks) {
      ctx.addIssue({
        code: 'custom',
        path: ['minTasks'],
        message: `minTasks (${service.minTasks}) must not exceed maxTasks (${service.maxTasks})`,
      });
    }
    if (service.queue.type === 'standard' && service.queue.contentBasedDeduplication !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['queue', 'contentBasedDeduplication'],
        message: 'contentBasedDeduplication applies to FIFO queues only',
      });
    }
    const seen = new Set<string>();
    service.scheduledActions.forEach((action, index) => {
      if (seen.has(action.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['scheduledActions', index, 'name'],
          message: `scheduled action "${action.name}" is declared twice`,
        });
      }
      seen.add(action.name);
      if (action.maxTasks !== undefined && action.maxTasks > service.maxTasks * 10) {
        ctx.addIssue({
          code: 'custom',
          path: ['scheduledActions', index, 'maxTasks'],
          message: 'maxTasks is more than ten times the service maxTasks: a typo?',
        });
      }
    });
  });

export const RegistrySchema = z
  .strictObject({
    pipelines: z.record(z.string().regex(NAME, 'pipeline names are lower-case words with dashes, at most 40 characters'), PipelineSchema),
    /** Long-running queue consumers scaled on backlog per task (optional). */
    queueServices: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]{0,23}$/, 'queue service names are lower-case words with dashes, at most 24 characters'),
        QueueServiceSchema,
      )
      .optional(),
    /** Capacity the stack adds for pipelines that ask for it (task.capacity ec2). */
    capacity: StackCapacitySchema.optional(),
  })
  .superRefine(checkTaskDefinitions);

import { taskDefinitionOf } from './pipeline-index';

export { taskDefinitionOf };

/** Task settings that live in the task definition, so pipelines sharing one must agree on them. */
const SHARED_TASK_FIELDS = ['container', 'image', 'architecture', 'ephemeralStorageGiB', 'secrets', 'local'] as const;
const launchFamily = (capacity: string) => (capacity === 'ec2' ? 'ec2' : 'fargate');

/** Rules across pipelines: shared task definitions agree, EC2 pipelines have EC2 capacity to run on. */
function checkTaskDefinitions(
  registry: { pipelines: Record<string, z.infer<typeof PipelineSchema>>; capacity?: z.infer<typeof StackCapacitySchema> | undefined },
  ctx: z.RefinementCtx,
): void {
  const firstOf = new Map<string, [string, z.infer<typeof TaskSchema>]>();
  for (const [name, pipeline] of Object.entries(registry.pipelines ?? {})) {
    const task = pipeline?.task;
    if (!task) continue;
    const at = (field: string) => ['pipelines', name, 'task', field];
    if (task.capacity === 'ec2') {
      const ec2 = registry.capacity?.ec2;
      if (!ec2) {
        ctx.addIssue({
          code: 'custom',
          path: at('capacity'),
          message:
            "capacity ec2 runs on the stack's EC2 capacity: declare capacity.ec2 (instanceType, architecture, maxInstances) at the top of the registry",
        });
      } else if (ec2.architecture !== task.architecture) {
        ctx.addIssue({
          code: 'custom',
          path: at('architecture'),
          message: `the stack's EC2 capacity is ${ec2.architecture} (capacity.ec2.architecture), this task is ${task.architecture}`,
        });
      }
    }
    const definition = taskDefinitionOf(name, pipeline);
    const first = firstOf.get(definition);
    if (!first) {
      firstOf.set(definition, [name, task]);
      continue;
    }
    const [firstName, firstTask] = first;
    if (task.launch === 'activity' && firstTask.launch === 'activity') {
      ctx.addIssue({
        code: 'custom',
        path: at('taskDefinition'),
        message: `shares task definition "${definition}" with pipeline "${firstName}", and both have launch activity: a task definition's workers poll one activity (ACTIVITY_ARN), so give one of them its own taskDefinition`,
      });
    }
    const differs = (field: (typeof SHARED_TASK_FIELDS)[number]) =>
      field === 'image' ? !sameImage(task.image, firstTask.image) : JSON.stringify(task[field]) !== JSON.stringify(firstTask[field]);
    for (const field of SHARED_TASK_FIELDS.filter(differs)) {
      ctx.addIssue({
        code: 'custom',
        path: at(field),
        message: `differs from pipeline "${firstName}", which shares task definition "${definition}": pipelines that share a task definition share its container, so task.${field} must be the same (or give this pipeline its own taskDefinition)`,
      });
    }
    if (launchFamily(task.capacity) !== launchFamily(firstTask.capacity)) {
      ctx.addIssue({
        code: 'custom',
        path: at('capacity'),
        message: `pipeline "${firstName}" runs task definition "${definition}" on ${firstTask.capacity}: one task definition is for Fargate or for EC2, not both`,
      });
    }
  }
}

export type Registry = z.infer<typeof RegistrySchema>;
export type Pipeline = z.infer<typeof PipelineSchema>;
export type PipelineTask = z.infer<typeof TaskSchema>;
export type PipelineTrigger = z.infer<typeof TriggerSchema>;
export type EventsTrigger = z.infer<typeof EventsTriggerSchema>;
export type QueueTrigger = z.infer<typeof QueueTriggerSchema>;
export type CompletionSettings = z.infer<typeof CompleteSchema>;
export type PipelineSchedule = z.infer<typeof ScheduleSchema>;
export type WhenIncomplete = z.infer<typeof WhenIncompleteSchema>;
export type QueueService = z.infer<typeof QueueServiceSchema>;
export type QueueServiceScheduledAction = z.infer<typeof ScheduledActionSchema>;
export type StackCapacity = z.infer<typeof StackCapacitySchema>;
