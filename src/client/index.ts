export { ElnClient } from './client.js';
export { ClientError, type ClientErrorKind } from './errors.js';
export { archiveOf, type ArchiveFacts } from './archive.js';
export { importOf } from './importResult.js';
export { isTerminal, jobName } from './job.js';
export { defaultWaitTimeoutMs } from './wait.js';
export type * from './types.js';
