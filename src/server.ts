import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp } from './api/app.js';
import { LocalBlobStore } from './blobs/localBlobStore.js';
import { openStore, type Store } from './store/db.js';
import type { BlobStore } from './blobs/blobStore.js';

export interface Server {
  app: FastifyInstance;
  store: Store;
  blobs: BlobStore;
  /** The address it listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

export async function openParts(config: Config): Promise<{ store: Store; blobs: BlobStore }> {
  const store = await openStore(config);
  return { store, blobs: new LocalBlobStore(path.join(config.dataDir, 'blobs')) };
}

/** Opens the store and blob store, and serves the API until `close()`. */
export async function startServer(config: Config, parts?: { store: Store; blobs: BlobStore }): Promise<Server> {
  const { store, blobs } = parts ?? (await openParts(config));
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({ config, store, blobs });
    const address = await app.listen({ port: config.port, host: config.host });
    const url = address.replace('[::1]', 'localhost');
    const server = app;
    return {
      app: server,
      store,
      blobs,
      url,
      async close() {
        await server.close();
        await store.close();
      },
    };
  } catch (error) {
    await app?.close();
    await store.close();
    throw error;
  }
}
