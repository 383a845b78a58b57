import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';
import { buildApp } from './api/app.js';
import { buildHealthApp } from './api/healthApp.js';
import type { ArchiveStore } from './blobs/archiveStore.js';
import type { BlobStore } from './blobs/blobStore.js';
import { openBlobStores } from './blobs/openStores.js';
import { ExportService } from './jobs/exportService.js';
import { Notifier } from './notices/notifier.js';
import { openStore, type Store } from './store/db.js';
import { closeThreads } from './threads/pool.js';
import { version } from './version.js';

export interface Server {
  /** The API, or in a `worker` process the health endpoint, the only thing it serves. */
  app: FastifyInstance;
  store: Store;
  blobs: BlobStore;
  archives: ArchiveStore;
  exports: ExportService;
  /** The address it listens on, e.g. http://127.0.0.1:8080 (a worker's: its health port) */
  url: string;
  close(): Promise<void>;
}

export interface Parts {
  store: Store;
  blobs: BlobStore;
  archives: ArchiveStore;
}

export async function openParts(config: Config): Promise<Parts> {
  const stores = openBlobStores(config.dataDir, config.storage);
  const store = await openStore(config, { checkpointsOnThread: true });
  return { store, ...stores };
}

/**
 * Opens the stores and, as the role says, starts the export workers and the sweeper (worker,
 * all) and serves the API (api, all) until `close()`; a worker serves only its health endpoint.
 */
export async function startServer(config: Config, given?: Parts, logger?: Logger): Promise<Server> {
  const parts = given ?? (await openParts(config));
  const log = logger ?? pino({ level: config.logLevel });
  const jobParts = { db: parts.store.db, dialect: parts.store.dialect, config, log };
  // Notices are made and sent where jobs run: an api process only answers and queues.
  const notifier = config.role === 'api' ? undefined : new Notifier(jobParts);
  const exports = new ExportService({ ...parts, ...jobParts, onJobEnded: notifier && (() => notifier.nudge()) });
  let app: FastifyInstance | undefined;
  try {
    await exports.start();
    notifier?.start();
    const worker = config.role === 'worker';
    app = worker ? await buildHealthApp({ role: config.role, exports, logger: log }) : await buildApp({ config, ...parts, exports, logger: log });
    // Fastify's own line, the only one: it names each address a wildcard host listens on.
    const address = await app.listen({
      port: worker ? config.healthPort : config.port,
      host: config.host,
      listenTextResolver: (at) => `elnport ${version}${config.role === 'all' ? '' : ` ${config.role}`} listening on ${at}${worker ? ' (GET /health only)' : ''}`,
    });
    const server = app;
    let closing: Promise<void> | undefined;
    return {
      app: server,
      ...parts,
      exports,
      url: address,
      // Once, however often it is called (a test's after hook may close a server its test closed):
      // every part is then stopped once, as each expects.
      close: () =>
        (closing ??= (async () => {
          await server.close();
          await exports.stop();
          await notifier?.stop();
          // Before the threads: the store's checkpoints run on them (store/walCheckpoints.ts).
          await parts.store.close();
          await closeThreads();
        })()),
    };
  } catch (error) {
    await app?.close();
    await exports.stop();
    await notifier?.stop();
    await parts.store.close();
    await closeThreads();
    throw error;
  }
}
