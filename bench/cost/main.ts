/**
 * What a stage costs: idle per month by resource, per 1,000,000 accepted files, and per run,
 * from the stage's packaged template and the dated price table. Ends with one summary line.
 *
 *   npm run cost -- --stage dev
 *   npm run cost -- --stage prod --region eu-west-1
 *   npm run cost -- --stage dev --param streamMode=ON_DEMAND     # a knob's effect
 *   npm run cost -- --template path/to/cloudformation-template-update-stack.json --region us-east-1
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { priceTable, pricesIn, regionsOf } from '../../lib/shared/pricing/prices';
import { HEADLINE_RUN, idleCost, perMillionFiles, perRun, type CostTable } from './model';
import { packagedTemplate } from './package';
import type { Template } from './template';

const root = resolve(__dirname, '../..');

function usage(message: string): never {
  console.error(`${message}\nusage: npm run cost -- [--stage dev] [--region us-east-1] [--param name=value ...] [--template file]`);
  process.exit(2);
}

function print(title: string, costs: CostTable, unit: string): void {
  console.log(`\n${title}`);
  const width = Math.max(...costs.lines.map((line) => line.item.length), 10);
  for (const line of costs.lines) console.log(`  ${line.item.padEnd(width)}  ${`$${line.usd.toFixed(4)}`.padStart(11)}  ${line.detail}`);
  console.log(`  ${'total'.padEnd(width)}  ${`$${costs.totalUsd.toFixed(4)}`.padStart(11)}  ${unit}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string', default: 'dev' },
      region: { type: 'string', default: 'us-east-1' },
      param: { type: 'string', multiple: true, default: [] },
      template: { type: 'string' },
    },
    strict: true,
  });
  const table = priceTable();
  const regions = regionsOf(table);
  if (!regions.includes(values.region))
    usage(`no prices for region ${values.region}: lib/shared/pricing/prices.yml has ${regions.join(', ')}`);
  const params = Object.fromEntries(
    values.param.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) usage(`--param ${pair}: expected name=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  const template: Template = values.template
    ? (JSON.parse(readFileSync(values.template, 'utf8')) as Template)
    : await packagedTemplate({ root, stage: values.stage, region: values.region, params, log: (line) => console.error(line) });
  const prices = pricesIn(table, values.region);

  console.log(`Cost of stage ${values.stage} in ${values.region}${Object.keys(params).length ? ` (${values.param.join(', ')})` : ''}`);
  console.log(
    `Prices: lib/shared/pricing/prices.yml, read ${table.read} from published copies, not AWS's own pages: re-check them there. Free tiers ignored.`,
  );
  const idle = idleCost(template, prices);
  print('Idle, per month (nothing processed)', idle, `a month of ${prices.hoursPerMonth} hours`);
  for (const run of idle.scheduledRuns)
    console.log(
      `  not idle: ${run.item} starts ${run.perMonth.toFixed(1)} run(s) of ${run.pipeline} a month; each costs a run (below, at its size and duration)`,
    );
  const files = perMillionFiles(template, prices);
  print('Per 1,000,000 accepted files (event path; the runs they start are priced per run)', files, 'per 1,000,000 files');
  const run = perRun(template, prices, HEADLINE_RUN);
  const shape = `${HEADLINE_RUN.shards} shard, ${HEADLINE_RUN.vcpu} vCPU, ${HEADLINE_RUN.memoryGb} GB, ${HEADLINE_RUN.minutes} min`;
  print(`Per run (${shape}, ${HEADLINE_RUN.architecture} ${HEADLINE_RUN.capacity}, succeeded)`, run, 'per run');
  console.log(
    `\nidle per month: $${idle.totalUsd.toFixed(2)}; per 1M files: $${files.totalUsd.toFixed(2)}; per run (${shape}): $${run.totalUsd.toFixed(2)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
