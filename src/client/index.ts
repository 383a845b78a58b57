export { ElnClient } from './client.js';
export { ClientError, type ClientErrorKind } from './errors.js';
export { archiveOf, type ArchiveFacts } from './archive.js';
export { isTerminal } from './job.js';
export { defaultWaitTimeoutMs } from './wait.js';
export type * from './types.js';
