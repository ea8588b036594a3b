/**
 * The sample task's AWS clients, created once. S3 checksums only when required: S3
 * emulators reject the SDK's default streaming checksums, and TLS plus S3's own integrity
 * checks cover transfer errors. S3_FORCE_PATH_STYLE=true for emulators (no bucket DNS).
 */
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';

const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

export const sampleS3Client = once(
  () =>
    new S3Client({
      forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
);

export const sampleRedshiftDataClient = once(() => new RedshiftDataClient({}));
