/**
 * Reads back what the sample pipeline loaded into the local warehouse (PGlite), under the
 * same directory lock the container's loads take.
 */
import { existsSync } from 'node:fs';
import { openPglite } from '../../../container/warehouse/pglite';
import { withDirLock } from '../../../container/warehouse/dir-lock';

export async function readWarehouseRows(dataDir: string): Promise<Record<string, Array<Record<string, unknown>>>> {
  if (!existsSync(dataDir)) return {};
  return withDirLock(`${dataDir}.lock`, async () => {
    const db = await openPglite(dataDir);
    try {
      const tables = await db.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      const out: Record<string, Array<Record<string, unknown>>> = {};
      for (const { table_name: table } of tables.rows) {
        // Table names come from the catalogue, not from input.
        out[table] = (await db.query(`SELECT * FROM "${table}" ORDER BY 1, 2`)).rows;
      }
      return out;
    } finally {
      await db.close();
    }
  });
}
