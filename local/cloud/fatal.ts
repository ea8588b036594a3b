/**
 * When something nobody caught reaches the top of a running local cloud: say what it was,
 * what the stop loses, and how to keep it next time, then stop. A rejected promise nobody
 * awaited is an error of one request: logged, and the cloud keeps serving.
 */
import type { LocalCloud } from './start';

/** What lives only in this process's memory, and what a restart keeps. */
export function describeLoss(
  cloud: Pick<LocalCloud, 'resources' | 'stepFunctions' | 'monitoring'>,
  persistDir: string | undefined,
): string {
  const executions = cloud.stepFunctions.sfn.listExecutions();
  const running = executions.filter((e) => e.status === 'RUNNING').length;
  const r = cloud.resources;
  const lost = [
    `${executions.length} execution(s) and their history (${running} still running)`,
    `${Object.keys(r.queues).length} queue(s) and their messages`,
    `${cloud.monitoring.notices().length} notice(s), the metrics and alarm states`,
    'the task and function logs kept in memory (files under .local-cloud/logs/ stay)',
  ];
  if (!persistDir)
    lost.unshift(
      `the ${Object.keys(r.tables).length} table(s), ${Object.keys(r.streams).length} stream(s) and ${Object.keys(r.buckets).length} bucket(s) with everything in them`,
    );
  const keep = persistDir
    ? `S3, Kinesis and DynamoDB data are kept in ${persistDir} (LOCAL_CLOUD_PERSIST) and come back with the next start.`
    : 'Everything was in memory: start with LOCAL_CLOUD_PERSIST=<folder> to keep S3, Kinesis and DynamoDB data across restarts.';
  return `Lost with this process:\n${lost.map((l) => `  - ${l}`).join('\n')}\n${keep}`;
}

export interface FatalHandling {
  /** Removes the handlers (for tests). */
  uninstall(): void;
}

/**
 * `uncaughtException`: logged with its stack and what is lost, then the cloud stops and the
 * process exits 1. `unhandledRejection`: logged as the failure of one request; the cloud stays.
 */
export function installFatalHandlers(
  cloud: Pick<LocalCloud, 'resources' | 'stepFunctions' | 'monitoring' | 'stop'>,
  options: { persistDir?: string; log: (text: string) => void; exit: (code: number) => void; events?: NodeJS.EventEmitter },
): FatalHandling {
  const events = options.events ?? process;
  let stopping = false;
  const onException = (error: unknown) => {
    if (stopping) return;
    stopping = true;
    const what = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    options.log(
      `\nThe local cloud stops: an error reached the top of the process and nothing can vouch for its state.\n${what}\n${describeLoss(cloud, options.persistDir)}`,
    );
    void cloud
      .stop()
      .catch(() => undefined)
      .finally(() => options.exit(1));
  };
  const onRejection = (reason: unknown) => {
    const what = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    options.log(`local cloud: a request failed and nothing awaited it (${what}); the cloud keeps running`);
  };
  events.on('uncaughtException', onException);
  events.on('unhandledRejection', onRejection);
  return {
    uninstall() {
      events.off('uncaughtException', onException);
      events.off('unhandledRejection', onRejection);
    },
  };
}
