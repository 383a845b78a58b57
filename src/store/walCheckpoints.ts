import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type SQLite from 'better-sqlite3';

/**
 * SQLite checkpoints its WAL inside the commit that takes it past 1,000 pages (4 MB): that commit,
 * and the event loop with it, waits while the pages are copied into the database file and both
 * files are synced. Saving 16 KB rows at 16 MB/s, 36–37 of 6,000 commits took over 5 ms, the
 * slowest 16–39 ms, and the event loop's worst delay was 18–43 ms (bench/walCheckpoints.ts, issue 9).
 *
 * For the server's own connection a worker thread makes the checkpoints instead, on a connection
 * of its own (checkpointWal): four times a second the WAL's header says how many pages wait,
 * and past 250 the thread copies them. Then 0–1 commits took over 5 ms (the slowest 3.6–11 ms)
 * and the worst delay was 9–17 ms. The commit's own checkpoint stays, further off, for a thread
 * that falls behind (a pool busy with an export), so that the WAL stays bounded. Durability is
 * unchanged: a commit is in the WAL when it returns, with the synchronous setting it always had;
 * a checkpoint only moves it into the database file.
 */
const intervalMs = 250;
/** 1 MB: the thread takes a third of a second to start, and the backstop must not come first. */
const thresholdPages = 250;
/** 32 MB: at 16 MB/s of saves the WAL reached 23–25 MB before a write found it all copied and began it again. */
const backstopPages = 8_000;

/**
 * The wal-index header at the start of the -shm file (sqlite.org/walformat.html, 2.1 and 2.2), in
 * the machine's byte order: its version, the WAL's last frame, and the last frame checkpointed.
 * Read without SQLite's locks, so it may lag a commit behind: it only decides when to checkpoint.
 */
function readHeader(shm: number, buffer: Buffer): { version: number; waitingPages: number } {
  fs.readSync(shm, buffer, 0, buffer.length, 0);
  const at = (offset: number) => (os.endianness() === 'LE' ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
  return { version: at(0), waitingPages: at(16) - at(96) };
}
const headerBytes = 100;
const knownVersion = 3_007_000;

/**
 * Copies the pages the embedded database's WAL holds into its file, on a connection of this
 * thread's own (above says why). PASSIVE: it waits for no reader or writer, and leaves what it
 * cannot copy yet to the next one. A task of the threads (threads/pool.ts): a thread that only
 * checkpoints loads this module and the addon, nothing of the export's.
 */
export function checkpointWal(file: string): { busy: boolean; walFrames: number; copied: number } {
  const SQLite = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  const database = new SQLite(file, { fileMustExist: true });
  try {
    const [result] = database.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    return { busy: result?.busy === 1, walFrames: result?.log ?? 0, copied: result?.checkpointed ?? 0 };
  } finally {
    database.close();
  }
}

async function checkpointOnThread(file: string): Promise<void> {
  const { runOnThread } = await import('../threads/pool.js');
  await runOnThread('checkpointWal', file);
}

export class WalCheckpoints {
  readonly #timer: NodeJS.Timeout;
  readonly #header = Buffer.alloc(headerBytes);
  #running: Promise<void> | undefined;
  #stopped = false;

  /** Undefined when the WAL's header is not the one known here: SQLite's own checkpoints then stay. */
  static start(database: SQLite.Database, file: string): WalCheckpoints | undefined {
    let shm: number;
    try {
      shm = fs.openSync(`${file}-shm`, 'r');
    } catch {
      return undefined;
    }
    if (readHeader(shm, Buffer.alloc(headerBytes)).version !== knownVersion) {
      fs.closeSync(shm);
      return undefined;
    }
    database.pragma(`wal_autocheckpoint = ${backstopPages}`);
    return new WalCheckpoints(file, shm);
  }

  private constructor(
    private readonly file: string,
    private readonly shm: number,
  ) {
    this.#timer = setInterval(() => this.#tick(), intervalMs).unref();
  }

  /**
   * Once started, checkpoints follow one another until one has copied the whole WAL: only a write
   * that finds it so starts the WAL again from its head (a checkpoint of the commit's, the
   * backstop, would otherwise be the one to do it).
   */
  #tick(following = false): void {
    if (this.#running || this.#stopped || readHeader(this.shm, this.#header).waitingPages < (following ? 1 : thresholdPages)) return;
    this.#running = checkpointOnThread(this.file).then(
      () => {
        this.#running = undefined;
        this.#tick(true);
      },
      () => {
        // A checkpoint that failed leaves its pages for the next tick, or for the backstop.
        this.#running = undefined;
      },
    );
  }

  /** Stops the timer and waits for a checkpoint under way, before the connection closes. */
  /**
   * Once only: closing the -shm descriptor a second time closed whatever the process had opened
   * under the same number since (a socket to PostgreSQL, a file), which then hung or vanished.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
    fs.closeSync(this.shm);
  }
}
