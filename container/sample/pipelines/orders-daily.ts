/**
 * orders-daily: orders joined to customers, aggregated per UTC day and customer.
 *
 * Shard key: customer_id (trimmed) in both files, so a customer's orders, its customer row
 * and its aggregates are all in one shard. Customers are read first into a map (the
 * dimension: bounded by the customer count, not the order count), then orders stream
 * through it. An order for an unknown customer, or a second row for a customer, is rejected.
 * Order ids are not checked for uniqueness: that would need memory per order.
 */
import * as z from 'zod';
import type { TableSpec, WarehouseRow } from '../../warehouse/warehouse';
import { centsField, centsToDecimal, dateField, trimmed } from '../normalize';
import {
  countRejected,
  newRowCounts,
  ownedRows,
  type PipelineIo,
  type PipelineResult,
  type RowCounts,
  type SamplePipeline,
} from '../pipeline';

export const CUSTOMER_COLUMNS = ['customer_id', 'name', 'country'] as const;
export const ORDER_COLUMNS = ['order_id', 'customer_id', 'ordered_at', 'amount'] as const;

const customerKey = (fields: Record<string, string>) => (fields.customer_id ?? '').trim();

const CustomerRowSchema = z.object({
  customer_id: trimmed(64),
  name: trimmed(200).transform((name) => name.replace(/\s+/g, ' ')),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'is not a two-letter country code'),
});

const OrderRowSchema = z.object({
  order_id: trimmed(64),
  customer_id: trimmed(64),
  ordered_at: dateField,
  amount: centsField,
});

export const ORDERS_DAILY_TABLE: TableSpec = {
  name: 'orders_daily_customer',
  columns: [
    { name: 'order_date', type: 'date' },
    { name: 'customer_id', type: 'varchar' },
    { name: 'customer_name', type: 'varchar' },
    { name: 'country', type: 'varchar' },
    { name: 'order_count', type: 'integer' },
    { name: 'total_amount', type: 'decimal' },
  ],
};

interface Customer {
  name: string;
  country: string;
  line: number;
}

interface DayTotal {
  date: string;
  customerId: string;
  hash: number;
  orders: number;
  cents: number;
}

async function run(io: PipelineIo): Promise<PipelineResult> {
  const counts: RowCounts = newRowCounts();
  const customers = new Map<string, Customer>();
  for await (const row of ownedRows(io, 'customers', CUSTOMER_COLUMNS, customerKey, CustomerRowSchema, counts)) {
    const first = customers.get(row.value.customer_id);
    if (first) {
      countRejected(counts, 'customers');
      await io.reject({
        file: 'customers',
        line: row.line,
        reason: `duplicate customer_id "${row.value.customer_id}" (first at line ${first.line})`,
        record: row.fields,
      });
      continue;
    }
    customers.set(row.value.customer_id, { name: row.value.name, country: row.value.country, line: row.line });
  }

  const totals = new Map<string, DayTotal>();
  for await (const row of ownedRows(io, 'orders', ORDER_COLUMNS, customerKey, OrderRowSchema, counts)) {
    const { customer_id: customerId, ordered_at: date, amount } = row.value;
    if (!customers.has(customerId)) {
      countRejected(counts, 'orders');
      await io.reject({
        file: 'orders',
        line: row.line,
        reason: `customer_id: "${customerId}" is not in the customers file`,
        record: row.fields,
      });
      continue;
    }
    const group = `${date}\u0000${customerId}`;
    const total = totals.get(group);
    if (total) {
      total.orders += 1;
      total.cents += amount;
    } else {
      totals.set(group, { date, customerId, hash: row.hash, orders: 1, cents: amount });
    }
  }

  const rows: WarehouseRow[] = [...totals.values()]
    .sort((a, b) => (a.date === b.date ? (a.customerId < b.customerId ? -1 : 1) : a.date < b.date ? -1 : 1))
    .map((t) => {
      const customer = customers.get(t.customerId)!;
      return { shardHash: t.hash, values: [t.date, t.customerId, customer.name, customer.country, t.orders, centsToDecimal(t.cents)] };
    });
  return { rowsRead: counts.read, rowsRejected: counts.rejected, rowsByFile: counts.byFile, loads: [{ table: ORDERS_DAILY_TABLE, rows }] };
}

export const ordersDaily: SamplePipeline = { files: ['customers', 'orders'], tables: [ORDERS_DAILY_TABLE], run };
