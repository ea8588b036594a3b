/**
 * The running local cloud's endpoints, written to .local-cloud/endpoints.json so other tools
 * (the demo, `sls invoke local`, the AWS CLI, scripts) find it without knowing the ports.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod';

export const EndpointsFileSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  region: z.string(),
  stage: z.string(),
  endpoints: z.record(z.string(), z.string()),
  /** The variables that point an AWS SDK or the AWS CLI at the local cloud. */
  environment: z.record(z.string(), z.string()),
  resources: z.record(z.string(), z.unknown()),
  console: z.string().optional(),
  /**
   * Each function's environment as the local cloud resolved it from the template, by its
   * CloudFormation logical id: what `sls invoke local --stage local` runs a function with
   * (local/serverless-plugin.cjs), since it cannot resolve intrinsics itself.
   */
  functions: z.record(z.string(), z.record(z.string(), z.string())).default({}),
});
export type EndpointsFile = z.infer<typeof EndpointsFileSchema>;

/** Where the running cloud is described: LOCAL_CLOUD_ENDPOINTS_FILE, or .local-cloud/endpoints.json. */
export const endpointsFilePath = (root: string) => process.env.LOCAL_CLOUD_ENDPOINTS_FILE ?? join(root, '.local-cloud', 'endpoints.json');

export function writeEndpointsFile(root: string, content: EndpointsFile): string {
  const file = endpointsFilePath(root);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
  return file;
}

export function removeEndpointsFile(root: string, pid = process.pid): void {
  const current = readEndpointsFile(root);
  if (current?.pid === pid) rmSync(endpointsFilePath(root), { force: true });
}

/** The running cloud's endpoints, or undefined when none is running (stale files are ignored). */
export function readEndpointsFile(root: string): EndpointsFile | undefined {
  const file = endpointsFilePath(root);
  if (!existsSync(file)) return undefined;
  const parsed = EndpointsFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) return undefined;
  try {
    process.kill(parsed.data.pid, 0);
  } catch {
    return undefined;
  }
  return parsed.data;
}
