/**
 * Loading, validating and querying the pipeline registry.
 *
 * Used at package time only: serverless.yml resolves `stack/serverless-variables.cjs`, which
 * bundles this module, and every function bundle gets the registry it validated at build
 * time (scripts/esbuild-plugins.cjs), so no function carries the schema or zod.
 */
import * as z from 'zod';
import { patternsOverlap } from './patterns';
import { RegistrySchema, type Registry } from './schema';

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
 * by parse-registry.ts, at package time and when a function is bundled.
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
  // A manifest or marker key must not be a file of a batch either.
  const entries = Object.entries(registry.pipelines).flatMap(([name, pipeline]) =>
    [
      ...Object.entries(pipeline.trigger?.files ?? {}),
      ...(['manifest', 'marker'] as const).flatMap((rule) => {
        const template = pipeline.trigger?.complete?.[rule];
        return template === undefined ? [] : [[`complete.${rule}`, template] as const];
      }),
    ].map(([file, pattern]) => ({ name, file, pattern, bucket: pipeline.trigger?.bucket })),
  );
  const problems: string[] = [];
  for (let i = 0; i < entries.length; i += 1) {
    for (let j = i + 1; j < entries.length; j += 1) {
      const a = entries[i]!;
      const b = entries[j]!;
      if (a.bucket !== b.bucket) continue;
      if (patternsOverlap(a.pattern, b.pattern)) {
        const where = a.name === b.name ? `pipeline "${a.name}"` : `pipelines "${a.name}" and "${b.name}"`;
        const field = a.file.startsWith('complete.') || b.file.startsWith('complete.') ? 'trigger.complete' : 'trigger.files';
        problems.push(
          `${where}, field ${field}: patterns "${a.pattern}" (${a.file}) and "${b.pattern}" (${b.file}) can match the same key; every key must belong to one file of one pipeline`,
        );
      }
    }
  }
  return problems;
}

export {
  batchKeyOf,
  capturesOfBatchKey,
  completionRule,
  windowMinutesOf,
  type CompletedBy,
  type CompletionRule,
  type CompletionRole,
  escapeCaptureValue,
  indexRegistry,
  type FileMatch,
  type MissedMatch,
  type PipelineIndex,
} from './pipeline-index';
export { RegistrySchema, z };
