/**
 * The registry indexed for lookups: which pipeline file a bucket key belongs to, the batch
 * key of its captures, the files that complete a batch. Free of the schema (and zod), so
 * functions can use it on the registry validated at build time.
 */
import { compilePattern, matchPattern, type CompiledPattern } from './patterns';
import type { Pipeline, PipelineTrigger, Registry } from './schema';

/** The task definition a pipeline runs: its own, or the one it names in task.taskDefinition. */
export const taskDefinitionOf = (name: string, pipeline: { task: { taskDefinition?: string | undefined } }): string =>
  pipeline.task.taskDefinition ?? name;

/** A pipeline's files trigger: what S3 uploads make a batch of (absent for events, queue or schedule-only pipelines). */
export interface FileTrigger {
  bucket?: string | undefined;
  prefix?: string | undefined;
  files: Record<string, string>;
  /** Absent with complete.quietMinutes: the quiet period closes the batch. */
  windowMinutes?: number | undefined;
  rerunOnReupload: boolean;
  /** The rule that completes a batch of unknown size (absent: every named file). */
  complete?: PipelineTrigger['complete'];
}

/** The pipeline's files trigger, if it has one (its trigger may be events or queue instead). */
export function fileTriggerOf(pipeline: Pipeline | undefined): FileTrigger | undefined {
  const trigger = pipeline?.trigger;
  if (!trigger?.files) return undefined;
  return {
    bucket: trigger.bucket,
    prefix: trigger.prefix,
    files: trigger.files,
    windowMinutes: trigger.windowMinutes,
    rerunOnReupload: trigger.rerunOnReupload,
    complete: trigger.complete,
  };
}

export interface FileMatch {
  pipeline: string;
  /** The logical file name (`orders`). */
  file: string;
  batchKey: string;
  captures: Record<string, string>;
  /** The key is the batch's manifest or marker (trigger.complete), not one of its files. */
  role?: CompletionRole;
}

/** Objects that complete a batch of unknown size without being one of its files. */
export type CompletionRole = 'manifest' | 'marker';

/**
 * How a pipeline's batch completes: every named file (`files`), the files its manifest lists,
 * a marker object (the files in the marker's folder), or a quiet period (the sweeper).
 */
export type CompletionRule =
  | { kind: 'files' }
  | { kind: 'manifest'; template: string }
  | { kind: 'marker'; template: string }
  | { kind: 'quiet'; minutes: number };

/** Which rule completed a batch, as the Batches and Runs items record it. */
export type CompletedBy = CompletionRule['kind'];

/** The rule of a pipeline's trigger. */
export function completionRule(trigger: Pick<FileTrigger, 'complete'> | undefined): CompletionRule {
  const complete = trigger?.complete;
  if (complete?.manifest !== undefined) return { kind: 'manifest', template: complete.manifest };
  if (complete?.marker !== undefined) return { kind: 'marker', template: complete.marker };
  if (complete?.quietMinutes !== undefined) return { kind: 'quiet', minutes: complete.quietMinutes };
  return { kind: 'files' };
}

/** Minutes a batch waits before the sweeper looks at it: the window, or the quiet period. */
export const windowMinutesOf = (trigger: Pick<FileTrigger, 'windowMinutes' | 'complete'>): number =>
  trigger.windowMinutes ?? trigger.complete?.quietMinutes ?? 0;

/** Which part of a pipeline's trigger an S3 object did not match, and what was expected. */
export interface MissedMatch {
  part: 'bucket' | 'prefix' | 'pattern';
  detail: string;
}

export interface PipelineIndex {
  registry: Registry;
  names: string[];
  get(name: string): Pipeline | undefined;
  /**
   * Which pipeline file a bucket key belongs to, if any. With `defaultBucket`, pipelines
   * that name no bucket claim keys of that bucket only.
   */
  match(bucket: string | undefined, key: string, defaultBucket?: string): FileMatch | undefined;
  /**
   * For a key `match` gave no pipeline: the first part that did not match (the bucket, the
   * watched prefixes, or the file patterns under the prefix it is in), with what was expected.
   */
  explainMiss(bucket: string | undefined, key: string, defaultBucket?: string): MissedMatch;
  /** The logical files that make a batch of this pipeline complete. */
  requiredFiles(name: string): string[];
  /** How a batch of this pipeline completes (trigger.complete). */
  completion(name: string): CompletionRule;
  /** The captures forming this pipeline's batch key, in batch key order (none without a trigger). */
  captures(name: string): string[];
  /** Literal prefixes to subscribe to, per bucket (undefined: the stack's bucket). */
  prefixes(): Array<{ bucket: string | undefined; prefix: string }>;
}

/**
 * The batch key from capture values, in the pipeline's first pattern's order. With several
 * captures, the joining `_` inside a value is escaped (`~5F`, and `~` as `~7E`), or two
 * batches could share a key (`eu_west` + `1` and `eu` + `west_1`); a single capture is its
 * value as it is.
 */
export function batchKeyOf(captureOrder: string[], captures: Record<string, string>): string {
  const values = captureOrder.map((name) => captures[name] ?? '');
  if (values.length < 2) return values.join('') || 'all';
  return values.map(escapeCaptureValue).join('_');
}

/** One capture value as a batch key of several captures holds it. */
export const escapeCaptureValue = (value: string): string => value.replace(/~/g, '~7E').replace(/_/g, '~5F');

/** The capture values of a batch key: the inverse of batchKeyOf. */
export function capturesOfBatchKey(captureOrder: string[], batchKey: string): Record<string, string> | undefined {
  if (captureOrder.length < 2) return captureOrder.length === 1 ? { [captureOrder[0]!]: batchKey } : {};
  const values = batchKey.split('_');
  if (values.length !== captureOrder.length) return undefined;
  return Object.fromEntries(
    captureOrder.map((name, i) => [name, values[i]!.replace(/~(5F|7E)/g, (_m, code: string) => (code === '5F' ? '_' : '~'))]),
  );
}

export function indexRegistry(registry: Registry): PipelineIndex {
  const compiled: Array<{
    pipeline: string;
    file: string;
    bucket?: string;
    pattern: CompiledPattern;
    order: string[];
    role?: CompletionRole;
  }> = [];
  for (const [pipeline, definition] of Object.entries(registry.pipelines)) {
    const trigger = fileTriggerOf(definition);
    if (!trigger) continue;
    const files = Object.entries(trigger.files);
    const order = compilePattern(files[0]![1]).captures;
    for (const [file, source] of files) {
      compiled.push({ pipeline, file, bucket: trigger.bucket, pattern: compilePattern(source), order });
    }
    const rule = completionRule(trigger);
    if (rule.kind === 'manifest' || rule.kind === 'marker') {
      const pattern = compilePattern(rule.template);
      compiled.push({ pipeline, file: rule.kind, bucket: trigger.bucket, pattern, order, role: rule.kind });
    }
  }
  return {
    registry,
    names: Object.keys(registry.pipelines),
    get: (name) => registry.pipelines[name],
    match(bucket, key, defaultBucket) {
      for (const entry of compiled) {
        const owner = entry.bucket ?? defaultBucket;
        if (owner !== undefined && bucket !== undefined && owner !== bucket) continue;
        const captures = matchPattern(entry.pattern, key);
        if (captures) {
          const match = { pipeline: entry.pipeline, file: entry.file, captures, batchKey: batchKeyOf(entry.order, captures) };
          return entry.role ? { ...match, role: entry.role } : match;
        }
      }
      return undefined;
    },
    explainMiss(bucket, key, defaultBucket) {
      const owned = compiled.filter((entry) => {
        const owner = entry.bucket ?? defaultBucket;
        return owner === undefined || bucket === undefined || owner === bucket;
      });
      if (owned.length === 0) {
        const watched = [...new Set(compiled.map((entry) => entry.bucket ?? defaultBucket ?? "the stack's bucket"))];
        return { part: 'bucket', detail: `bucket ${bucket ?? '?'} is watched by no pipeline (watched: ${watched.join(', ') || 'none'})` };
      }
      const prefixOf = (entry: (typeof compiled)[number]) =>
        fileTriggerOf(registry.pipelines[entry.pipeline])!.prefix ?? entry.pattern.literalPrefix;
      const under = owned.filter((entry) => key.startsWith(prefixOf(entry)));
      if (under.length === 0) {
        const prefixes = [...new Set(owned.map(prefixOf))];
        return { part: 'prefix', detail: `key is under none of the prefixes watched in bucket ${bucket ?? '?'} (${prefixes.join(', ')})` };
      }
      const patterns = under.map((entry) => `${entry.pipeline} ${entry.file}: ${entry.pattern.source}`);
      return { part: 'pattern', detail: `key is under a watched prefix but matches none of its file patterns (${patterns.join('; ')})` };
    },
    requiredFiles: (name) => Object.keys(registry.pipelines[name]?.trigger?.files ?? {}),
    completion: (name) => completionRule(registry.pipelines[name]?.trigger),
    captures: (name) => compiled.find((entry) => entry.pipeline === name)?.order ?? [],
    prefixes() {
      const all = compiled.map((entry) => ({
        bucket: entry.bucket,
        prefix: fileTriggerOf(registry.pipelines[entry.pipeline])!.prefix ?? entry.pattern.literalPrefix,
      }));
      // S3 rejects notification filters whose prefixes overlap: keep only the outermost.
      return all.filter(
        (candidate, index) =>
          !all.some(
            (other, j) =>
              other.bucket === candidate.bucket &&
              candidate.prefix.startsWith(other.prefix) &&
              (other.prefix.length < candidate.prefix.length || j < index),
          ),
      );
    },
  };
}
