/**
 * `npm run logs -- --run <runKey>`: the logs of one run on the running local cloud, in time
 * order: what its containers wrote (per task and shard) and the function lines that carry its
 * run key or execution ARN. On AWS the same lines are in CloudWatch Logs (the links opsShowRun
 * gives); this reads the local cloud's console API (.local-cloud/endpoints.json says where).
 */
import { readEndpointsFile } from './endpoints-file';
import { projectRoot } from './project-root';
import type { RunLogLine } from './run-logs';

export class LogsUsageError extends Error {
  override readonly name = 'LogsUsageError';
}

export function parseLogsArgs(argv: string[]): { runKey: string; containersOnly: boolean } {
  const at = argv.indexOf('--run');
  const runKey = at === -1 ? undefined : argv[at + 1];
  if (!runKey || runKey.startsWith('--'))
    throw new LogsUsageError(
      'usage: npm run logs -- --run <runKey> [--containers]   e.g. --run "orders-daily#2026-11-20" (opsListRuns lists run keys)',
    );
  return { runKey, containersOnly: argv.includes('--containers') };
}

export function formatLogLine(line: RunLogLine): string {
  return `${line.at.slice(11, 23)}  ${line.source.padEnd(34)}  ${line.line}`;
}

async function main(): Promise<number> {
  const { runKey, containersOnly } = parseLogsArgs(process.argv.slice(2));
  const cloud = readEndpointsFile(projectRoot);
  if (!cloud?.endpoints.console) {
    console.error('no local cloud is running: start one with "npm run local" (the logs live in its memory and in .local-cloud/logs/)');
    return 1;
  }
  const response = await fetch(`${cloud.endpoints.console}/api/runs/${encodeURIComponent(runKey)}/logs`);
  if (response.status === 404) {
    console.error(`no run ${runKey} on the local cloud (no execution and no log line names it); opsListRuns lists the runs of a pipeline`);
    return 1;
  }
  if (!response.ok) throw new Error(`the console answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { executions: string[]; tasks: string[]; lines: RunLogLine[] };
  const lines = containersOnly ? body.lines.filter((l) => l.taskArn) : body.lines;
  console.log(`run ${runKey}: ${body.executions.length} execution(s), ${body.tasks.length} task(s), ${lines.length} line(s)`);
  for (const execution of body.executions)
    console.log(`  execution ${cloud.endpoints.console}/executions/${encodeURIComponent(execution)}`);
  for (const line of lines) console.log(formatLogLine(line));
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(
        error instanceof LogsUsageError ? error.message : `npm run logs failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(1);
    },
  );
}
