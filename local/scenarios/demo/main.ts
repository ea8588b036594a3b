/**
 * `npm run demo`: the whole system on this machine in one command. Starts a fresh local
 * cloud, uploads the sample pipeline's files, shows what happens as it happens, and ends
 * with a summary. Exits 0 only when the expected runs succeeded and nothing else ran.
 * `npm run demo -- --keep` leaves the cloud running afterwards to browse the console.
 */
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../cloud/start';
import { attachProgress } from '../../cloud/progress';
import { explain } from '../../cloud/errors';
import { describeExecutionDetail, triggerLabel } from '../../console/server';
import { renderExecutionTable } from '../../console/table';
import { checkContainerBuild, DEMO_EVENTS, DEMO_UPLOADS, describeFigures, runDemo, runFigures } from './demo';
import { pipelines } from '../../../lib/registry';
import { readWarehouseRows } from './warehouse';
import { projectRoot } from '../../cloud/project-root';

const root = projectRoot;
const color = process.stdout.isTTY;
const bold = (text: string) => (color ? `\u001b[1m${text}\u001b[0m` : text);

async function main(): Promise<number> {
  checkContainerBuild(root);
  const warehouseDir = join(root, '.local-cloud', 'demo', 'warehouse');
  rmSync(join(root, '.local-cloud', 'demo'), { recursive: true, force: true });
  console.log(bold('Starting the local cloud (S3, Kinesis, DynamoDB, SQS emulators, local Step Functions and ECS)…'));
  const cloud: LocalCloud = await startLocalCloud({ root, portBase: 0, warehouseDir, log: (line) => console.log(`  ${line}`) });
  console.log(`  up in ${cloud.startupMs} ms · executions console: ${cloud.endpoints.console}/executions\n`);
  const progress = attachProgress(cloud, (line) => console.log(line));
  let ok = false;
  try {
    console.log(bold('Uploading the sample files:'));
    for (const [i, u] of DEMO_UPLOADS.entries()) console.log(`  ${i + 1}. ${u.key.padEnd(42)} ${u.why}`);
    console.log(bold('Then putting events on the default bus (PutEvents):'));
    for (const [i, e] of DEMO_EVENTS.entries()) {
      const detail = JSON.parse(e.entry.Detail) as { data: { region: string }; metadata: Record<string, string> };
      const what = `${e.entry.DetailType} ${detail.data.region} ${detail.metadata['idempotency-key']}`;
      console.log(`  ${i + 1}. ${what.padEnd(42)} ${e.why}`);
    }
    console.log('');
    const result = await runDemo(cloud);
    progress.detach();
    console.log(`\n${bold('Summary')}`);
    console.log(`  executions: ${result.executions.length}`);
    for (const run of result.runs) {
      const r = run.result as { recordsAffected?: number } | undefined;
      const figures = runFigures(cloud, String(run.pk));
      const took = run.durationMs !== undefined ? ` in ${Number(run.durationMs) / 1000} s` : '';
      console.log(`  run ${String(run.pk)} (trigger ${triggerLabel(String(run.trigger))}): ${String(run.status)}${took}`);
      // What the numbers are: rows read from the files, rows rejected, rows the warehouse got (the run's recordsAffected).
      if (figures) console.log(`    ${describeFigures(figures)}`);
      else console.log(`    ${r?.recordsAffected ?? 0} rows loaded (recordsAffected)`);
      const description = pipelines().get(String(run.pipeline))?.description;
      if (description) console.log(`    (${description})`);
    }
    for (const batch of result.batches) {
      const arrived = [...((batch.arrived as Set<string> | undefined) ?? [])];
      // Started is what counts: a duplicate after the start may re-open `openState` until the sweeper closes it.
      const state = batch.startedRunKey ? `  (run ${String(batch.startedRunKey)})` : '  (incomplete: waiting)';
      console.log(`  batch ${String(batch.pk).padEnd(26)} files: ${arrived.join(', ')}${state}`);
    }
    for (const execution of result.executions) {
      const detail = await describeExecutionDetail(cloud.clients.sfn!, execution.executionArn!);
      console.log(`\n${renderExecutionTable(`execution ${execution.name}`, detail.view, { color, ioWidth: 36 })}`);
      console.log(`  graph: ${cloud.endpoints.console}/executions/${encodeURIComponent(execution.executionArn!)}`);
    }
    const notices = cloud.monitoring.notices();
    console.log(
      `\n  notices: ${notices.length === 0 ? `none (a failed run, an anomaly or an alarm would be here and on ${cloud.endpoints.console}/notifications)` : notices.length}`,
    );
    for (const n of notices) console.log(`    ${n.at.toISOString().slice(11, 19)} ${n.topicName}: ${n.subject ?? n.message.slice(0, 100)}`);
    const rows = await readWarehouseRows(warehouseDir);
    console.log(`\n  warehouse (PGlite): ${relative(root, warehouseDir)}`);
    for (const [table, tableRows] of Object.entries(rows)) {
      console.log(`  table ${table}: ${tableRows.length} rows`);
      for (const row of tableRows.slice(0, 10)) console.log(`    ${JSON.stringify(row)}`);
    }
    ok = result.ok;
    console.log(
      ok
        ? bold(
            '\n✔ demo passed: one run for the complete batch and one for the event, none for the incomplete batch, the duplicates or the event no pattern wants',
          )
        : bold(`\n✘ demo failed: ${result.problems.join('; ')}`),
    );
    if (!ok) console.log('  function logs: .local-cloud/logs/   container logs: .local-cloud/logs/tasks/');
    if (!process.argv.includes('--keep'))
      console.log('  The console links above end with this demo: npm run demo -- --keep keeps the cloud running to browse them.');
  } finally {
    if (process.argv.includes('--keep')) {
      console.log(`\nThe local cloud keeps running: ${cloud.endpoints.console}/executions (Ctrl-C stops it)`);
      await new Promise<void>((resolveStop) => process.once('SIGINT', () => resolveStop()));
    }
    await cloud.stop();
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nThe demo could not run: ${explain(error)}`);
    process.exit(1);
  },
);
