export * from './errors';
export * from './key-decoding';
export * from './read-event';
export * from './watch-uploads';
