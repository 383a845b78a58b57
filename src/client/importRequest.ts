import fs from 'node:fs';
import path from 'node:path';
import { ClientError } from './errors.js';

export interface ImportForm {
  form: FormData;
  name: string;
  size: number;
}

/** Why a file cannot be sent, in words: fs.openAsBlob only says "Unable to open file as blob". */
function unreadable(file: string, error: unknown): ClientError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message;
  return new ClientError('usage', `Cannot read ${file}: ${why}`, { cause: error });
}

/**
 * The multipart body of POST /import: the archive as a file-backed Blob, which fetch streams from
 * disk as it sends it (an archive may be gigabytes; it is never read whole), and the target folder.
 * The file is opened first, because openAsBlob only stats it and an unreadable file would fail
 * halfway through the upload.
 */
export async function importForm(file: string, folderId?: number): Promise<ImportForm> {
  let size: number;
  try {
    const handle = await fs.promises.open(file, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw new ClientError('usage', `Cannot read ${file}: ${stat.isDirectory() ? 'a directory' : 'not a regular file'}, not an archive`);
      size = stat.size;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw error instanceof ClientError ? error : unreadable(file, error);
  }
  const name = path.basename(file);
  const form = new FormData();
  if (folderId !== undefined) form.append('folderId', String(folderId));
  form.append('file', await fs.openAsBlob(file), name);
  return { form, name, size };
}
