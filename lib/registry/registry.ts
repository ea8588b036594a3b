/**
 * Loading, validating and querying the pipeline registry.
 *
 * Used at package time (serverless.yml resolves `stack/serverless-variables.cjs`, which
 * bundles this module) and at cold start, so both fail the same way on the same mistake.
 */
import * as z from 'zod';
import { compilePattern, matchPattern, patternsOverlap, type CompiledPattern } from './patterns';
import { RegistrySchema, type Pipeline, type Registry } from './schema';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    message: string,
    readonly problems: string[] = [message],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const describePath = (path: PropertyKey[]): string => {
  const [root, pipeline, ...rest] = path.map(String);
  if (root === 'pipelines' && pipeline !== undefined) {
    return `pipeline "${pipeline}"${rest.length ? `, field ${rest.join('.')}` : ''}`;
  }
  if (root === 'queueServices' && pipeline !== undefined) {
    return `queue service "${pipeline}"${rest.length ? `, field ${rest.join('.')}` : ''}`;
  }
  return path.length ? `field ${path.map(String).join('.')}` : 'the registry';
};

/**
 * Validates a parsed registry; `source` names the file in messages. The YAML text is parsed
 * at build time into the bundle (scripts/esbuild-plugins.cjs), and at package time by
 * parse-registry.ts, so functions carry no YAML parser.
 */
export function validateRegistry(raw: unknown, source = 'pipelines.yml'): Registry {
  const result = RegistrySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === 'invalid_key') {
        // A record key (pipeline or file name) failed its own rule: say which rule.
        return `${describePath(issue.path)}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
      }
      return `${describePath(issue.path)}: ${issue.message}`;
    });
    throw new RegistryError(`${source} is invalid:\n  - ${problems.join('\n  - ')}`, problems);
  }
  const registry = result.data;
  const overlaps = findOverlaps(registry);
  if (overlaps.length) {
    throw new RegistryError(`${source} is invalid:\n  - ${overlaps.join('\n  - ')}`, overlaps);
  }
  return registry;
}

function findOverlaps(registry: Registry): string[] {
  const entries = Object.entries(registry.pipelines).flatMap(([name, pipeline]) =>
    Object.entries(pipeline.trigger?.files ?? {}).map(([file, pattern]) => ({ name, file, pattern, bucket: pipeline.trigger?.bucket })),
  );
  const problems: string[] = [];
  for (let i = 0; i < entries.length; i += 1) {
    for (let j = i + 1; j < entries.length; j += 1) {
      const a = entries[i]!;
      const b = entries[j]!;
      if (a.bucket !== b.bucket) continue;
      if (patternsOverlap(a.pattern, b.pattern)) {
        const where = a.name === b.name ? `pipeline "${a.name}"` : `pipelines "${a.name}" and "${b.name}"`;
        problems.push(
          `${where}, field trigger.files: patterns "${a.pattern}" (${a.file}) and "${b.pattern}" (${b.file}) can match the same key; every key must belong to one file of one pipeline`,
        );
      }
    }
  }
  return problems;
}

export interface FileMatch {
  pipeline: string;
  /** The logical file name (`orders`). */
  file: string;
  batchKey: string;
  captures: Record<string, string>;
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
  /** The logical files that make a batch of this pipeline complete. */
  requiredFiles(name: string): string[];
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
  return values.map((value) => value.replace(/~/g, '~7E').replace(/_/g, '~5F')).join('_');
}

export function indexRegistry(registry: Registry): PipelineIndex {
  const compiled: Array<{ pipeline: string; file: string; bucket?: string; pattern: CompiledPattern; order: string[] }> = [];
  for (const [pipeline, definition] of Object.entries(registry.pipelines)) {
    if (!definition.trigger) continue;
    const files = Object.entries(definition.trigger.files);
    const order = compilePattern(files[0]![1]).captures;
    for (const [file, source] of files) {
      compiled.push({ pipeline, file, bucket: definition.trigger.bucket, pattern: compilePattern(source), order });
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
          return { pipeline: entry.pipeline, file: entry.file, captures, batchKey: batchKeyOf(entry.order, captures) };
        }
      }
      return undefined;
    },
    requiredFiles: (name) => Object.keys(registry.pipelines[name]?.trigger?.files ?? {}),
    prefixes() {
      const all = compiled.map((entry) => ({
        bucket: entry.bucket,
        prefix: registry.pipelines[entry.pipeline]!.trigger!.prefix ?? entry.pattern.literalPrefix,
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

export { RegistrySchema, z };
