/**
 * The dated price table (prices.yml beside this file), validated once and read per region.
 * The table is bundled as data (YAML is parsed at build time), so a function that estimates
 * a run's cost carries the same figures the cost model prints.
 */
import * as v from '../validation';
import table from './prices.yml';

const PriceSchema = v.strictObject({
  what: v.string().min(1),
  page: v.string().regex(/^https:\/\//, 'page is the https URL of the AWS pricing page'),
  read: v.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'read is the date the price was read, YYYY-MM-DD'),
  from: v.string().min(1),
  usd: v.record(v.string(), v.number().nonnegative()),
});

const AssumptionSchema = v.strictObject({ value: v.number().nonnegative(), why: v.string().min(1) });

export const PRICE_NAMES = [
  'kinesisShardHour',
  'kinesisPutPayloadUnitsPerMillion',
  'kinesisOnDemandStreamHour',
  'kinesisOnDemandDataInPerGB',
  'kinesisOnDemandDataOutPerGB',
  'lambdaRequestsPerMillion',
  'lambdaGbSecondArm',
  'lambdaGbSecondX86',
  'stepFunctionsTransitionsPerThousand',
  'dynamoDbWriteRequestUnitsPerMillion',
  'dynamoDbReadRequestUnitsPerMillion',
  'sqsRequestsPerMillion',
  'fargateVcpuHourX86',
  'fargateGbHourX86',
  'fargateVcpuHourArm',
  'fargateGbHourArm',
  'fargateSpotVcpuHourX86',
  'fargateSpotGbHourX86',
  'publicIpv4Hour',
  'interfaceEndpointAzHour',
  'alarmStandardMonth',
  'alarmHighResolutionMonth',
  'compositeAlarmMonth',
  'dashboardMonth',
  'customMetricMonth',
  'kmsKeyMonth',
  'secretMonth',
] as const;
export type PriceName = (typeof PRICE_NAMES)[number];

export const ASSUMPTION_NAMES = [
  'sqsPollsPerMappingMonth',
  'containerInsightsMetricsPerCluster',
  'containerInsightsMetricsPerService',
] as const;
export type AssumptionName = (typeof ASSUMPTION_NAMES)[number];

export const PriceTableSchema = v.strictObject({
  read: v.string(),
  hoursPerMonth: v.number().positive(),
  prices: v.strictObject(Object.fromEntries(PRICE_NAMES.map((name) => [name, PriceSchema])) as Record<PriceName, typeof PriceSchema>),
  assumptions: v.strictObject(
    Object.fromEntries(ASSUMPTION_NAMES.map((name) => [name, AssumptionSchema])) as Record<AssumptionName, typeof AssumptionSchema>,
  ),
});
export type PriceTable = v.Infer<typeof PriceTableSchema>;

export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';
}

/** One region's figures: every price of the table in USD, plus the model's assumptions. */
export interface RegionPrices {
  region: string;
  hoursPerMonth: number;
  usd: Record<PriceName, number>;
  assumptions: Record<AssumptionName, number>;
}

/** Validates a price table; `source` names it in messages. */
export function parsePriceTable(raw: unknown, source = 'lib/shared/pricing/prices.yml'): PriceTable {
  const parsed = PriceTableSchema.safeParse(raw);
  if (!parsed.success) throw new PriceTableError(`${source} is invalid: ${v.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The regions every price of the table has a figure for. */
export function regionsOf(priceTable: PriceTable): string[] {
  const all = Object.values(priceTable.prices).map((price) => new Set(Object.keys(price.usd)));
  return [...all[0]!].filter((region) => all.every((regions) => regions.has(region))).sort();
}

/** The table's figures for one region; a region some price lacks fails naming the prices. */
export function pricesIn(priceTable: PriceTable, region: string): RegionPrices {
  const missing = PRICE_NAMES.filter((name) => priceTable.prices[name].usd[region] === undefined);
  if (missing.length) {
    throw new PriceTableError(
      `no ${region} price for ${missing.join(', ')} in lib/shared/pricing/prices.yml (regions with every price: ${regionsOf(priceTable).join(', ')})`,
    );
  }
  return {
    region,
    hoursPerMonth: priceTable.hoursPerMonth,
    usd: Object.fromEntries(PRICE_NAMES.map((name) => [name, priceTable.prices[name].usd[region]!])) as Record<PriceName, number>,
    assumptions: Object.fromEntries(ASSUMPTION_NAMES.map((name) => [name, priceTable.assumptions[name].value])) as Record<
      AssumptionName,
      number
    >,
  };
}

let cached: PriceTable | undefined;

/** The repository's price table (validated once). */
export function priceTable(): PriceTable {
  cached ??= parsePriceTable(table);
  return cached;
}

/** The repository's prices for one region. */
export const regionPrices = (region: string): RegionPrices => pricesIn(priceTable(), region);
