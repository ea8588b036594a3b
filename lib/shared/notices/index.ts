export * from './notice';
export * from './links';
export * from './run-notice';
export * from './alarm-notice';
export * from './batch-notices';
export * from './sns-publisher';
