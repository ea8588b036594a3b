/**
 * The pipeline registry (`pipelines.yml`): the one file users edit to declare pipelines.
 * Every object is strict, so a misspelt key is an error rather than a silently
 * ignored setting.
 */
import { z } from 'zod';
import { compilePattern, PatternSyntaxError } from './patterns';
import { ScheduleExpressionError, validateScheduleExpression } from './schedule';

export const MAX_SHARDS = 20;
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

export const TriggerSchema = z.strictObject({
  /** Bucket the files land in; defaults to the stack's uploads bucket (or the existing one it is given). */
  bucket: z.string().min(3).optional(),
  /** Every pattern must start with this prefix; defaults to the patterns' common literal prefix. */
  prefix: z.string().optional(),
  /** Logical file name → key pattern with `{captures}` forming the batch key. */
  files: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'file names are lower-case words'), patternString)
    .refine((files) => Object.keys(files).length > 0, 'a pipeline needs at least one file'),
  /** How long to wait, from the first file of a batch, for the rest before the batch is overdue. */
  windowMinutes: z.number().positive('window must be greater than 0'),
  /** Start a fresh run when a file of an already-run batch is uploaded again. */
  rerunOnReupload: z.boolean().default(false),
});

export const TaskSchema = z.strictObject({
  /** Logical task definition name; the stack's task definition family is `<service>-<stage>-<name>`. */
  taskDefinition: z.string().regex(NAME, 'task definition names are lower-case words with dashes'),
  container: z.string().min(1),
  command: z.array(z.string()).min(1).optional(),
  cpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096), z.literal(8192), z.literal(16384)]),
  memory: z.number().int().min(512).max(122880),
  shards: z.number().int().min(1, 'shards must be at least 1').max(MAX_SHARDS, `shards must be at most ${MAX_SHARDS}`).default(1),
  maxConcurrency: z.number().int().min(1).max(MAX_SHARDS).optional(),
  launch: z.enum(['sync', 'callback']),
  timeoutSeconds: z.number().int().min(60).max(31_536_000),
  heartbeatSeconds: z.number().int().min(10).optional(),
  spot: z.boolean().default(false),
  environment: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
});

export const ScheduleSchema = z.strictObject({
  expression: scheduleExpression,
  enabled: z.boolean().default(true),
});

export const AlarmsSchema = z.strictObject({
  maxRuntimeSeconds: z.number().int().positive().optional(),
  maxRecordsAffected: z.number().int().positive().optional(),
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
  })
  .superRefine((pipeline, ctx) => {
    const { task } = pipeline;
    if (task.launch === 'callback' && task.heartbeatSeconds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['task', 'heartbeatSeconds'], message: 'a callback pipeline needs heartbeatSeconds' });
    }
    if (task.heartbeatSeconds !== undefined && task.heartbeatSeconds >= task.timeoutSeconds) {
      ctx.addIssue({ code: 'custom', path: ['task', 'heartbeatSeconds'], message: 'heartbeatSeconds must be below timeoutSeconds' });
    }
    if (!pipeline.trigger && !pipeline.schedule) {
      ctx.addIssue({ code: 'custom', path: ['trigger'], message: 'a pipeline needs a trigger, a schedule, or both' });
    }
    if (pipeline.trigger) {
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

export const RegistrySchema = z.strictObject({
  pipelines: z.record(z.string().regex(NAME, 'pipeline names are lower-case words with dashes, at most 40 characters'), PipelineSchema),
});

export type Registry = z.infer<typeof RegistrySchema>;
export type Pipeline = z.infer<typeof PipelineSchema>;
export type PipelineTask = z.infer<typeof TaskSchema>;
export type PipelineTrigger = z.infer<typeof TriggerSchema>;
