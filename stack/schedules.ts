/**
 * Schedule events of startPipeline (functions/ingest.yml): one per pipeline that declares a
 * schedule in pipelines.yml. Serverless compiles them into EventBridge rules.
 */
import type { Registry } from '../lib/registry/schema';

export function scheduleEvents(registry: Registry): unknown[] {
  return Object.entries(registry.pipelines)
    .filter(([, p]) => p.schedule)
    .map(([name, p]) => ({
      schedule: {
        name: `\${self:service}-\${sls:stage}-${name}`.slice(0, 64),
        description: `Scheduled run of pipeline ${name}`,
        rate: [p.schedule!.expression],
        enabled: p.schedule!.enabled,
        // The event's own time names the run: Lambda's async retries of one firing then
        // reuse the run key instead of starting a second scheduled run.
        inputTransformer: {
          inputPathsMap: { time: '$.time' },
          inputTemplate: `{"pipeline":"${name}","trigger":"schedule","time":<time>}`,
        },
      },
    }));
}
