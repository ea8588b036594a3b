/**
 * Secrets of containers on the local cloud, by the variable name the container gets (the
 * registry's task.secrets names): from the environment of the local cloud, else from the
 * local secrets file (LOCAL_SECRETS_FILE, default local/secrets.env, git-ignored), one
 * `NAME=value` per line. Read as each task starts: an edit needs no restart. Nothing of it is
 * packaged or deployed; on AWS, ECS reads the Secrets Manager secret or SSM parameter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

export const DEFAULT_SECRETS_FILE = join('local', 'secrets.env');

export class SecretsFileError extends Error {
  override readonly name = 'SecretsFileError';
}

/** `NAME=value` lines; `#` comments, blank lines, `export ` and surrounding quotes allowed. */
export function parseSecretsFile(text: string, file = DEFAULT_SECRETS_FILE): Record<string, string> {
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new SecretsFileError(`${file}, line ${index + 1}: expected NAME=value`);
    const value = match[2]!;
    const quoted = /^(['"])(.*)\1$/.exec(value);
    values[match[1]!] = quoted ? quoted[2]! : value;
  });
  return values;
}

export function secretsFileOf(root: string, file = process.env.LOCAL_SECRETS_FILE): string {
  if (!file) return join(root, DEFAULT_SECRETS_FILE);
  return isAbsolute(file) ? file : join(root, file);
}

/** The local ECS's secrets source (LocalEcsOptions.secrets). */
export function localSecrets(root: string, file: string, env: NodeJS.ProcessEnv = process.env) {
  const shown = relative(root, file).startsWith('..') ? file : relative(root, file);
  return {
    where: `${shown} (NAME=value) or in the environment of the local cloud`,
    valueOf(name: string): string | undefined {
      if (env[name] !== undefined) return env[name];
      return existsSync(file) ? parseSecretsFile(readFileSync(file, 'utf8'), shown)[name] : undefined;
    },
  };
}
