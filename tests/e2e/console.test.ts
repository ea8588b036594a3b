/**
 * The local console in a real headless browser (Debian's chromium driven by playwright-core),
 * on a local cloud with three real runs: a two-shard run that succeeds, a run whose container
 * rejects too many rows (failure notice, run-failures alarm), and a run whose first task hangs,
 * stopped and then redriven from the console. Assertions are on what the pages show. A failed
 * test leaves a full-page screenshot and names its path in the failure.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freshLocalCloud, projectRoot, waitFor } from '../../local/cloud/test-support';
import { checkContainerBuild, uploadsBucket } from '../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../local/cloud/start';

jest.setTimeout(10 * 60_000);

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(projectRoot, 'test-results', 'console');

let cloud: LocalCloud & { scratch: string };
let browser: BrowserContext;
let userDataDir: string;
const executions: Record<'sharded' | 'failed' | 'hanging', string> = { sharded: '', failed: '', hanging: '' };

async function upload(key: string, body: string | Buffer) {
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: uploadsBucket(cloud), Key: key, Body: body }));
}
const executionOf = (runKey: string) =>
  waitFor(
    `the execution of ${runKey}`,
    async () => cloud.stepFunctions.sfn.listExecutions().find((e) => JSON.parse(e.input).runKey === runKey)?.executionArn,
    120_000,
  );
const closed = (arn: string) => cloud.stepFunctions.sfn.waitForExecution(arn);

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the console test drives Debian's chromium. Install it with "apt-get update && apt-get install -y chromium" (.ci/run does).`,
    );
  }
  checkContainerBuild(projectRoot);
  cloud = await freshLocalCloud({ alarmTickMs: 0 });
  // 1. Two shards that succeed: a clean inventory snapshot.
  await upload(
    'incoming/inventory/eu-west/snapshot-2026-11-20.csv',
    'sku,region,warehouse,quantity,unit_cost,counted_at\nab-100,eu-west,dub-1,10,2.50,2026-11-20\ncd-200,eu-west,dub-1,3,10.00,2026-11-20\nef-300,eu-west,fra-1,8,1.25,2026-11-20\n',
  );
  executions.sharded = await executionOf('inventory-snapshot#eu-west_2026-11-20');
  // 2. A batch whose files break the reject threshold: the container fails the run.
  await upload(
    'incoming/acme/customers-2026-11-25.csv',
    readFileSync(join(projectRoot, 'tests/fixtures/csv/orders-daily/customers-2026-11-20.csv')),
  );
  await upload(
    'incoming/acme/orders-2026-11-25.csv',
    readFileSync(join(projectRoot, 'tests/fixtures/csv/orders-daily/orders-2026-11-20.csv')),
  );
  executions.failed = await executionOf('orders-daily#2026-11-25');
  await Promise.all([closed(executions.sharded), closed(executions.failed)]);
  await cloud.monitoring.evaluateAlarms();
  await waitFor('the alarm notice', async () => cloud.monitoring.notices().find((n) => n.subject?.includes('alarm run-failures')));
  // 3. A good batch whose first task hangs (it will be stopped, then redriven from the console).
  cloud.ecs.injectTaskCommand(['node', '-e', 'console.log("stuck on purpose"); setInterval(() => {}, 1000)']);
  await upload(
    'incoming/acme/customers-2026-11-26.csv',
    readFileSync(join(projectRoot, 'local/scenarios/demo/fixtures/customers-2026-11-20.csv')),
  );
  await upload(
    'incoming/acme/orders-2026-11-26.csv',
    readFileSync(join(projectRoot, 'local/scenarios/demo/fixtures/orders-2026-11-20.csv'))
      .toString()
      .replaceAll('2026-11-20', '2026-11-26'),
  );
  executions.hanging = await executionOf('orders-daily#2026-11-26');
  await waitFor('the hanging task', async () =>
    cloud.runLogs.ofRun('orders-daily#2026-11-26').find((l) => l.line.includes('stuck on purpose')),
  );

  userDataDir = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 8 * 60_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** Runs a check on a fresh page; on failure, a full-page screenshot whose path is in the error. */
async function onPage(name: string, check: (page: Page) => Promise<void>): Promise<void> {
  const page = await browser.newPage();
  try {
    await check(page);
  } catch (error) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    throw new Error(`${(error as Error).message}\n  page: ${page.url()}\n  screenshot: ${file}`, { cause: error });
  } finally {
    await page.close();
  }
}
const url = (path: string) => `${cloud.endpoints.console}${path}`;
const executionUrl = (arn: string) => url(`/executions/${encodeURIComponent(arn)}`);
const name = (arn: string) => arn.split(':').at(-1)!;

test('the execution list shows every run and filters by pipeline and status', () =>
  onPage('list', async (page) => {
    await page.goto(url('/executions'));
    await expect(page.locator('#executions tr[data-execution]').count()).resolves.toBe(3);
    await page.selectOption('#filter-pipeline', 'inventory-snapshot');
    await page.click('button[type=submit]');
    await expect(page.locator('#executions tr[data-execution]').allTextContents()).resolves.toEqual([
      expect.stringContaining(name(executions.sharded)),
    ]);
    await page.selectOption('#filter-pipeline', '');
    await page.selectOption('#filter-status', 'FAILED');
    await page.click('button[type=submit]');
    const failedRows = await page.locator('#executions tr[data-execution]').allTextContents();
    expect(failedRows).toEqual([expect.stringContaining(name(executions.failed))]);
    expect(failedRows[0]).toContain('orders-daily#2026-11-25');
    await page.selectOption('#filter-since', '15');
    await page.click('button[type=submit]');
    await expect(page.locator('#executions tr[data-execution]').count()).resolves.toBe(1);
  }));

test('a two-shard run has one timeline row per shard, each with its task and log', () =>
  onPage('sharded', async (page) => {
    await page.goto(executionUrl(executions.sharded));
    await expect(page.textContent('#execution-status')).resolves.toBe('SUCCEEDED');
    await expect(page.locator('#timeline .row.iteration .label').allTextContents()).resolves.toEqual([
      'Run Shards · shard 1',
      'Run Shards · shard 2',
    ]);
    const topLevel = await page.locator('#timeline .row.state .label').allTextContents();
    expect(topLevel).toEqual(
      expect.arrayContaining(['Mark Run Running', 'Prepare Shard Tasks', 'Run Shards', 'Summarize Run', 'Record Run Result']),
    );
    await page.click('#timeline .row[data-shard="2"] .bar[data-state="Run ECS Task And Wait For Exit"]');
    const panel = page.locator('.detail:not([hidden])');
    await expect(panel.locator('h3').textContent()).resolves.toBe('Run ECS Task And Wait For Exit');
    await expect(panel.textContent()).resolves.toContain('shard 2');
    const log = await panel.locator('.logs').first().textContent();
    expect(log).toMatch(/inventory-snapshot|rows|shard/i);
    await expect(panel.locator('pre.output').textContent()).resolves.toContain('"launch": "sync"');
  }));

test('a failed run shows its full cause, the failed shard with the container line that says why, and long names whole', () =>
  onPage('failed', async (page) => {
    await page.goto(executionUrl(executions.failed));
    await expect(page.textContent('#execution-status')).resolves.toBe('FAILED');
    const cause = (await page.textContent('#execution-error pre')) ?? '';
    expect(cause).not.toContain('…');
    expect(cause).toMatch(/7 of 18 rows rejected \(customers: 2 of 6, orders: 5 of 12\), more than REJECT_MAX_RATIO/);
    await page.click('#timeline .row[data-shard="1"] .bar[data-state="Run ECS Task And Wait For Callback"]');
    const panel = page.locator('.detail:not([hidden])');
    await expect(panel.locator('h3').textContent()).resolves.toBe('Run ECS Task And Wait For Callback');
    // The state's own cause is the worker's whole JSON, shown whole: its context at the end too.
    const stateCause = (await panel.locator('pre.cause').textContent()) ?? '';
    expect(stateCause).toMatch(/REJECT_MAX_RATIO/);
    expect(stateCause).toContain('"context"');
    expect(stateCause).not.toContain('…');
    await expect(panel.locator('.logs').first().textContent()).resolves.toMatch(/RejectThresholdError|REJECT_MAX_RATIO/);
    // The graph names the state whole, over two lines.
    await expect(page.locator('svg g[data-state="Run ECS Task And Wait For Callback"] tspan').allTextContents()).resolves.toEqual([
      'Run ECS Task And Wait For',
      'Callback',
    ]);
    await expect(page.locator('.graph').textContent()).resolves.not.toContain('…');
    // The run's link leads to all its logs.
    await page.click('a[href^="/runs/"]');
    await expect(page.textContent('h1')).resolves.toBe('Run orders-daily#2026-11-25');
    await expect(page.textContent('#run-logs')).resolves.toMatch(/function SummarizeRunLambdaFunction/);
  }));

test('the notifications page shows the failure notice and the alarm it tripped; the alarms page shows the alarm', () =>
  onPage('notifications', async (page) => {
    await page.goto(url('/notifications'));
    const text = (await page.textContent('#notifications')) ?? '';
    expect(text).toContain('orders-daily 2026-11-25');
    expect(text).toContain('ALARM: orders-daily: alarm run-failures');
    expect(text).toContain('CloudWatch alarm ecs-pipelines-local/run-failures/orders-daily');
    await page.goto(url('/alarms'));
    await expect(page.locator('tr[data-alarm="ecs-pipelines-local/run-failures/orders-daily"] td').nth(1).textContent()).resolves.toBe(
      'ALARM',
    );
  }));

test('a hanging execution is stopped from the console, then redriven: only the unfinished shard runs again, and the run succeeds', () =>
  onPage('stop-redrive', async (page) => {
    await page.goto(executionUrl(executions.hanging));
    await expect(page.textContent('#execution-status')).resolves.toBe('RUNNING');
    await page.click('#stop');
    await expect(page.textContent('#flash')).resolves.toContain('Stop requested');
    await expect(page.textContent('#execution-status')).resolves.toBe('ABORTED');
    await page.click('#redrive');
    await expect(page.textContent('#flash')).resolves.toContain('Redriven');
    await closed(executions.hanging);
    await page.goto(executionUrl(executions.hanging));
    await expect(page.textContent('#execution-status')).resolves.toBe('SUCCEEDED');
    await expect(page.textContent('h1 + .meta + .meta')).resolves.toContain('redriven 1×');
    // Mark Run Running ran once: the redrive resumed at the Map.
    await expect(page.locator('#timeline .row.state .label', { hasText: 'Mark Run Running' }).count()).resolves.toBe(1);
    await expect(page.locator('#timeline .row[data-shard="1"] .bar').count()).resolves.toBeGreaterThanOrEqual(2);
  }));
