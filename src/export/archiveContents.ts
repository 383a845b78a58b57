import type { ExportFile, ExportFolder, ExportManifest, ExportUser } from '../domain/exportModel.js';
import type { User } from '../domain/model.js';

/**
 * What one export holds, decided before anything is rendered and kept in the database for the
 * job (the export_plan table), not in memory: a 100,000-document export must not cost more
 * memory than a 1,000-document one. This summary is all the builder holds; the records are read
 * back a page at a time, by keyset, in id order.
 */
export interface ExportPlan {
  jobId: number;
  manifestScope: 'USER' | 'GROUP' | 'SELECTION';
  /** The user's or group's name, the single record's name, or SELECTION (for the archive name). */
  scopeLabel: string;
  /** The users whose work is exported (users.xml); empty for a selection. */
  users: User[];
  counts: {
    documents: number;
    folders: number;
    /** Files in their own media_ folder, plus distinct files copied beside the documents that show them. */
    files: number;
    skipped: number;
  };
  /** Bytes of file data the archive will hold (each copy counted), for progress. */
  fileBytes: number;
}

/** One record of the plan. */
export interface PlannedRecord {
  id: number;
  kind: 'DOCUMENT' | 'FOLDER' | 'NOTEBOOK' | 'MEDIA';
  name: string;
  ownerId: number;
  parentId: number | null;
  created: string;
  modified: string;
  /**
   * A file stored once in its own media_ folder (true), or one that is only copied beside each
   * document showing it (false: a selection's export). Always true for the other kinds.
   */
  ownFolder: boolean;
}

/** Which of some ids are in the archive: asked once per page of documents, for links, parents and files. */
export interface PlanLookup {
  lookup(ids: readonly number[]): Promise<Map<number, PlannedRecord>>;
}

/** A document as lists show it: a folder's page, the index page. */
export interface ListedDocument {
  id: number;
  name: string;
  /** Its folder in the archive (documentFolder()). */
  folder: string;
  modified: string;
}

export type IndexedItem =
  | { type: 'document'; document: ListedDocument }
  | { type: 'folder'; folder: ExportFolder }
  | { type: 'file'; file: ExportFile };

/**
 * What the listing pages of an archive (index, A–Z index, folder pages, folderTree.xml, users.xml)
 * read about everything it holds, streamed from the plan. Each method may be called more than
 * once; each call reads afresh.
 */
export interface ArchiveContents {
  manifest: ExportManifest;
  users: ExportUser[];
  /** Every folder and notebook in the archive, in id order. */
  folders(): AsyncIterable<ExportFolder>;
  /** One folder of the archive, when it is in it: the parent link of a folder's page. */
  folder(id: number): Promise<ExportFolder | undefined>;
  /**
   * What sits directly in the folder `folderId`, or for null at the top of the archive (records
   * whose parent is not in it). Documents in id order, which is a notebook's entry order; files
   * are those with their own media_ folder.
   */
  folderContents(folderId: number | null): {
    folders: AsyncIterable<ExportFolder>;
    documents: AsyncIterable<ListedDocument>;
    files: AsyncIterable<ExportFile>;
  };
  /** Documents, folders and notebooks, and files with their own folder, in A–Z order (azSortKey of domain/azOrder.ts), ties by id. */
  byName(): AsyncIterable<IndexedItem>;
}
