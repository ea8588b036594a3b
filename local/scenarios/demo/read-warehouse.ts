/**
 * `node scripts/run-ts.mjs local/scenarios/demo/read-warehouse.ts <warehouse dir>`: the warehouse rows
 * as JSON on stdout. PGlite loads its WASM through dynamic imports, which jest's module
 * runtime refuses, so tests read the warehouse through this child process.
 */
import { readWarehouseRows } from './warehouse';

const [dataDir] = process.argv.slice(2);
if (!dataDir) {
  console.error('usage: read-warehouse <warehouse dir>');
  process.exit(2);
}
readWarehouseRows(dataDir).then(
  (rows) => process.stdout.write(JSON.stringify(rows)),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
