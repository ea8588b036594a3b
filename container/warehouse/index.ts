/**
 * Chooses the warehouse adapter from the environment: WAREHOUSE=pglite (WAREHOUSE_DIR)
 * locally, WAREHOUSE=redshift (REDSHIFT_* and STAGING_BUCKET) on AWS.
 */
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { pgliteWarehouse } from './pglite';
import { redshiftWarehouse, type RedshiftTarget } from './redshift';
import type { Warehouse } from './warehouse';

export * from './warehouse';
export { pgliteWarehouse, openPglite, pgCreateTable } from './pglite';
export { redshiftWarehouse, stagingCsv, stagingKey, redshiftCreateTable, DEFAULT_POLL } from './redshift';

export class WarehouseConfigError extends Error {
  override readonly name = 'WarehouseConfigError';
}

export const WAREHOUSE_ENV = {
  WAREHOUSE: 'WAREHOUSE',
  WAREHOUSE_DIR: 'WAREHOUSE_DIR',
  REDSHIFT_DATABASE: 'REDSHIFT_DATABASE',
  REDSHIFT_WORKGROUP: 'REDSHIFT_WORKGROUP',
  REDSHIFT_CLUSTER_ID: 'REDSHIFT_CLUSTER_ID',
  REDSHIFT_DB_USER: 'REDSHIFT_DB_USER',
  REDSHIFT_SECRET_ARN: 'REDSHIFT_SECRET_ARN',
  REDSHIFT_COPY_ROLE_ARN: 'REDSHIFT_COPY_ROLE_ARN',
  STAGING_BUCKET: 'STAGING_BUCKET',
} as const;

export interface WarehouseClients {
  redshiftData: () => RedshiftDataClient;
  s3: () => S3Client;
}

export function createWarehouse(env: NodeJS.ProcessEnv, pipeline: string, clients: WarehouseClients): Warehouse {
  const kind = z.enum(['pglite', 'redshift']).safeParse(env.WAREHOUSE);
  if (!kind.success) throw new WarehouseConfigError(`WAREHOUSE="${env.WAREHOUSE ?? ''}": expected pglite or redshift`);
  const missing: string[] = [];
  const need = (name: string): string => {
    const value = env[name];
    if (!value) missing.push(name);
    return value ?? '';
  };
  if (kind.data === 'pglite') {
    const dataDir = need(WAREHOUSE_ENV.WAREHOUSE_DIR);
    if (missing.length) throw new WarehouseConfigError(`WAREHOUSE=pglite needs ${missing.join(', ')}`);
    return pgliteWarehouse({ dataDir });
  }
  const database = need(WAREHOUSE_ENV.REDSHIFT_DATABASE);
  const copyRoleArn = need(WAREHOUSE_ENV.REDSHIFT_COPY_ROLE_ARN);
  const bucket = need(WAREHOUSE_ENV.STAGING_BUCKET);
  const workgroup = env[WAREHOUSE_ENV.REDSHIFT_WORKGROUP];
  const cluster = env[WAREHOUSE_ENV.REDSHIFT_CLUSTER_ID];
  if (Boolean(workgroup) === Boolean(cluster))
    missing.push(`exactly one of ${WAREHOUSE_ENV.REDSHIFT_WORKGROUP}, ${WAREHOUSE_ENV.REDSHIFT_CLUSTER_ID}`);
  if (missing.length) throw new WarehouseConfigError(`WAREHOUSE=redshift needs ${missing.join(', ')}`);
  const secretArn = env[WAREHOUSE_ENV.REDSHIFT_SECRET_ARN];
  const dbUser = env[WAREHOUSE_ENV.REDSHIFT_DB_USER];
  const target: RedshiftTarget = workgroup
    ? { database, workgroupName: workgroup, ...(secretArn ? { secretArn } : {}) }
    : { database, clusterIdentifier: cluster!, ...(secretArn ? { secretArn } : {}), ...(dbUser ? { dbUser } : {}) };
  return redshiftWarehouse({
    client: clients.redshiftData(),
    s3: clients.s3(),
    target,
    staging: { bucket, prefix: `staging/${pipeline}/` },
    copyRoleArn,
  });
}
