/**
 * Pipelines' containers on the local cloud, derived from the registry they are generated from
 * (pipelines.yml, or PIPELINES_FILE): a pipeline added only to the registry runs locally.
 * Each task definition's container runs its command as a process, no Docker involved:
 *   - the folder: task.local.cwd, or the image's build context (the project root for a URI);
 *   - the command: the Dockerfile's CMD (and ENTRYPOINT) of the build's target stage, which
 *     the run's task.command replaces as RunTask's override does;
 *   - the environment: the task definition's, then task.local.environment;
 *   - the secrets: by name from the local secrets file or the environment (local/cloud/secrets.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBuiltImage } from '../../lib/registry/container';
import { parseRegistry } from '../../lib/registry/parse-registry';
import { taskDefinitionOf, type Registry } from '../../lib/registry/schema';

export interface PipelineContainer {
  container: string;
  cwd: string;
  entryPoint?: string[];
  command?: string[];
  environment: Record<string, string>;
}

/** The registry the cloud's stack is packaged from: PIPELINES_FILE, or pipelines.yml. */
export function registryFileOf(root: string, file?: string): string {
  return file ?? process.env.PIPELINES_FILE ?? join(root, 'pipelines.yml');
}

export function loadRegistryFile(file: string): Registry {
  return parseRegistry(readFileSync(file, 'utf8'), file);
}

const JSON_ARRAY = /^\[.*\]$/s;

/** An instruction's argument: exec form (a JSON array) as it is, shell form through /bin/sh -c. */
function commandOf(argument: string): string[] {
  if (JSON_ARRAY.test(argument)) {
    const parsed: unknown = JSON.parse(argument);
    if (Array.isArray(parsed) && parsed.every((part) => typeof part === 'string')) return parsed;
  }
  return ['/bin/sh', '-c', argument];
}

/**
 * The CMD and ENTRYPOINT a Dockerfile gives its target stage (default the last one), with
 * what a stage inherits from an earlier stage it starts FROM. Unknown: what a base image sets.
 */
export function dockerfileCommand(text: string, target?: string): { entryPoint?: string[]; command?: string[] } {
  // Joined continuation lines, without comments and blank lines.
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Array<{ name?: string; entryPoint?: string[]; command?: string[] }> = [];
  for (const line of lines) {
    const [, instruction = '', argument = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = instruction.toUpperCase();
    if (upper === 'FROM') {
      const [, base = '', name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(argument) ?? [];
      const parent = stages.find((stage) => stage.name !== undefined && stage.name.toLowerCase() === base.toLowerCase());
      stages.push({
        ...(name ? { name } : {}),
        ...(parent?.entryPoint ? { entryPoint: parent.entryPoint } : {}),
        ...(parent?.command ? { command: parent.command } : {}),
      });
    } else if (upper === 'CMD' && stages.length) {
      stages.at(-1)!.command = commandOf(argument);
    } else if (upper === 'ENTRYPOINT' && stages.length) {
      const stage = stages.at(-1)!;
      stage.entryPoint = commandOf(argument);
      // Docker: setting ENTRYPOINT resets a CMD inherited from the base.
      delete stage.command;
    }
  }
  const stage = target ? stages.find((s) => s.name?.toLowerCase() === target.toLowerCase()) : stages.at(-1);
  return { ...(stage?.entryPoint ? { entryPoint: stage.entryPoint } : {}), ...(stage?.command ? { command: stage.command } : {}) };
}

/** Per task definition name (as the registry names it): how its container runs locally. */
export function pipelineContainers(registry: Registry, root: string, placeholders: Record<string, string>): Map<string, PipelineContainer> {
  const fill = (value: string) => value.replace(/\{(\w+)\}/g, (match, name: string) => placeholders[name] ?? match);
  const containers = new Map<string, PipelineContainer>();
  for (const [name, pipeline] of Object.entries(registry.pipelines)) {
    const definition = taskDefinitionOf(name, pipeline);
    if (containers.has(definition)) continue;
    const { task } = pipeline;
    const build = isBuiltImage(task.image) ? task.image.build : undefined;
    let image: { entryPoint?: string[]; command?: string[] } = {};
    if (build) {
      const dockerfile = join(root, build.dockerfile ?? join(build.context, 'Dockerfile'));
      if (existsSync(dockerfile)) image = dockerfileCommand(readFileSync(dockerfile, 'utf8'), build.target);
    }
    containers.set(definition, {
      container: task.container,
      cwd: task.local?.cwd ?? build?.context ?? '.',
      ...image,
      environment: Object.fromEntries(Object.entries(task.local?.environment ?? {}).map(([key, value]) => [key, fill(value)])),
    });
  }
  return containers;
}
