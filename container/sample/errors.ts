/** Errors of the sample task; each `name` is what the failure reports to Step Functions. */
export class CsvHeaderError extends Error {
  override readonly name = 'CsvHeaderError';
}
export class CsvFormatError extends Error {
  override readonly name = 'CsvFormatError';
}
export class RejectThresholdError extends Error {
  override readonly name = 'RejectThresholdError';
}
export class BatchFilesError extends Error {
  override readonly name = 'BatchFilesError';
}
export class SampleConfigError extends Error {
  override readonly name = 'SampleConfigError';
}
