/**
 * inventory-snapshot: per region and SKU, how many warehouse rows, units and stock value
 * (units x unit cost), and the latest count date.
 *
 * Shard key: region (lower-cased) + SKU (upper-cased), normalized exactly as the schema
 * normalizes them, so rows that aggregate together always hash together.
 */
import * as z from 'zod';
import type { TableSpec, WarehouseRow } from '../../warehouse/warehouse';
import { centsField, centsToDecimal, dateField, nonNegativeIntField, trimmed } from '../normalize';
import { newRowCounts, ownedRows, type PipelineIo, type PipelineResult, type RowCounts, type SamplePipeline } from '../pipeline';

export const SNAPSHOT_COLUMNS = ['sku', 'region', 'warehouse', 'quantity', 'unit_cost', 'counted_at'] as const;

const normalizeRegion = (raw: string) => raw.trim().toLowerCase();
const normalizeSku = (raw: string) => raw.trim().toUpperCase();
const snapshotKey = (fields: Record<string, string>) => `${normalizeRegion(fields.region ?? '')}|${normalizeSku(fields.sku ?? '')}`;

const SnapshotRowSchema = z.object({
  sku: z
    .string()
    .transform(normalizeSku)
    .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,63}$/, 'is not a SKU (letters, digits, dashes)')),
  region: z
    .string()
    .transform(normalizeRegion)
    .pipe(z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'is not a region name')),
  warehouse: trimmed(64),
  quantity: nonNegativeIntField,
  unit_cost: centsField,
  counted_at: dateField,
});

export const INVENTORY_TABLE: TableSpec = {
  name: 'inventory_region_sku',
  columns: [
    { name: 'region', type: 'varchar' },
    { name: 'sku', type: 'varchar' },
    { name: 'warehouse_rows', type: 'integer' },
    { name: 'quantity_total', type: 'bigint' },
    { name: 'stock_value', type: 'decimal' },
    { name: 'last_counted_on', type: 'date' },
  ],
};

interface SkuTotal {
  region: string;
  sku: string;
  hash: number;
  rows: number;
  quantity: number;
  cents: number;
  lastCounted: string;
}

async function run(io: PipelineIo): Promise<PipelineResult> {
  const counts: RowCounts = newRowCounts();
  const totals = new Map<string, SkuTotal>();
  for await (const row of ownedRows(io, 'snapshot', SNAPSHOT_COLUMNS, snapshotKey, SnapshotRowSchema, counts)) {
    const { region, sku, quantity, unit_cost: unitCost, counted_at: counted } = row.value;
    const group = `${region}|${sku}`;
    const total = totals.get(group);
    if (total) {
      total.rows += 1;
      total.quantity += quantity;
      total.cents += quantity * unitCost;
      if (counted > total.lastCounted) total.lastCounted = counted;
    } else {
      totals.set(group, { region, sku, hash: row.hash, rows: 1, quantity, cents: quantity * unitCost, lastCounted: counted });
    }
  }
  const rows: WarehouseRow[] = [...totals.values()]
    .sort((a, b) => (a.region === b.region ? (a.sku < b.sku ? -1 : 1) : a.region < b.region ? -1 : 1))
    .map((t) => ({ shardHash: t.hash, values: [t.region, t.sku, t.rows, t.quantity, centsToDecimal(t.cents), t.lastCounted] }));
  return { rowsRead: counts.read, rowsRejected: counts.rejected, rowsByFile: counts.byFile, loads: [{ table: INVENTORY_TABLE, rows }] };
}

export const inventorySnapshot: SamplePipeline = { files: ['snapshot'], tables: [INVENTORY_TABLE], run };
