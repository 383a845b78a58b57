import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The tables as Kysely sees them. Timestamps are ISO-8601 UTC text ("2026-11-26T05:00:00.000Z")
 * and booleans are 0/1 integers on both databases, so one set of queries serves SQLite and
 * PostgreSQL and text order is time order.
 */

type Id = Generated<number>;
type Flag = ColumnType<number, number | undefined, number>;

export interface UsersTable {
  id: Id;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  role: string;
  affiliation: string | null;
  password_hash: string | null;
  api_key_hash: string | null;
  enabled: Flag;
  home_folder_id: number | null;
  gallery_folder_id: number | null;
  created: string;
}

export interface LabGroupsTable {
  id: Id;
  name: string;
  type: string;
  shared_folder_id: number | null;
  created: string;
}

export interface GroupMembersTable {
  group_id: number;
  user_id: number;
  role: string;
  view_all: Flag;
}

export interface RecordsTable {
  id: Id;
  kind: string;
  name: string;
  owner_id: number;
  parent_id: number | null;
  created: string;
  modified: string;
  version: ColumnType<number, number | undefined, number>;
  tags: ColumnType<string, string | undefined, string>;
  form_id: number | null;
  deleted_at: string | null;
  /** An imported document's origin (Provenance of domain/model.ts, as JSON); null for work made here. */
  provenance_json: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface FormsTable {
  id: Id;
  name: string;
  /** The form's field definitions, `[{name, type}]`, in column order. */
  fields_json: string;
  created: string;
}

export interface FieldsTable {
  id: Id;
  document_id: number;
  name: string;
  type: string;
  column_index: number;
  content: string;
  /** The content as plain text, for search. */
  text: ColumnType<string, string | undefined, string>;
  /** The sanitiser version that cleaned `content`; 'unknown' for content stored before versions were. */
  sanitiser_version: ColumnType<string, string | undefined, string>;
  modified: string;
}

export interface DocumentVersionsTable {
  document_id: number;
  version: number;
  name: string;
  tags: string;
  modified: string;
  /** The fields as they were: `[{id, name, type, columnIndex, content, sanitiserVersion, modified}]`; sanitiserVersion is missing from versions kept before it was recorded. */
  fields_json: string;
}

export interface MediaTable {
  record_id: number;
  file_name: string;
  caption: string;
  content_type: string;
  size: number;
  sha256: string;
  blob_key: string;
}

export interface FieldFilesTable {
  field_id: number;
  file_id: number;
}

export interface FieldLinksTable {
  field_id: number;
  target_id: number;
}

export interface CommentsTable {
  id: Id;
  document_id: number;
  field_id: number;
  /** As the comment's source names its writer: a user's full name here, or whoever an imported archive says. */
  author: string;
  /** Plain text. */
  text: string;
  created: string;
}

export interface ExportJobsTable {
  id: Id;
  owner_id: number;
  format: string;
  scope: string;
  target_id: number | null;
  request_json: string;
  status: string;
  percent_complete: ColumnType<number, number | undefined, number>;
  attempts: ColumnType<number, number | undefined, number>;
  worker_id: string | null;
  created: string;
  started: string | null;
  heartbeat: string | null;
  finished: string | null;
  archive_name: string | null;
  size: number | null;
  checksum: string | null;
  sha256: string | null;
  expiry_date: string | null;
  archive_deleted: string | null;
  counts_json: string | null;
  error_message: string | null;
  kind: ColumnType<string, string | undefined, string>;
  /** An import's uploaded archive, until its job is over. */
  upload_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** What a completed import created (ImportResult, as JSON). */
  result_json: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1 once the notices of the job's end are made (store/queries/notices.ts). */
  noticed: Flag;
}

/** One record of a running export's plan (src/export/plan.ts); the rows go when the job ends. */
/** A blob an import job stored that no record names yet (see the migration that makes it). */
export interface ImportBlobsTable {
  job_id: number;
  blob_key: string;
}

export interface ExportPlanTable {
  job_id: number;
  record_id: number;
  kind: string;
  name: string;
  owner_id: number;
  parent_id: number | null;
  created: string;
  modified: string;
  own_folder: Flag;
  link_level: ColumnType<number, number | undefined, number>;
  /** azSortKey(name) of src/domain/azOrder.ts, compared by code point. */
  sort_key: string;
  walk: ColumnType<number, number | undefined, number>;
  /** A `.eln` export's RO-Crate entities of the document: JSON objects joined by commas, set as it is rendered. */
  crate_json: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * A caller's rate-limit window (src/api/rateLimit.ts), used on PostgreSQL only. window_start is a
 * timestamptz there, unlike the ISO text elsewhere: it is set and compared by the database's
 * clock, in SQL, and never read by the code.
 */
export interface RateLimitsTable {
  /** `user:<id>`, or `ip:<address>` for a call without a valid key. */
  caller: string;
  window_start: Date;
  count: number;
  /** The window's length: sign-in attempts (`login-…` callers) are counted over longer windows than requests. */
  window_ms: number;
}

/** A user's choice of notices (issue 12); no row until they first read or set it. */
export interface NotificationSettingsTable {
  user_id: number;
  webhook_url: string | null;
  email_enabled: Flag;
  webhook_secret: string;
  modified: string;
}

/** One notice of one ended job on one channel, and how its attempts went. */
export interface NoticeDeliveriesTable {
  id: Id;
  job_id: number;
  owner_id: number;
  channel: string;
  target: string;
  event: string;
  status: string;
  attempts: ColumnType<number, number | undefined, number>;
  created: string;
  give_up_at: string;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  response_status: number | null;
  error: string | null;
  claimed_by: string | null;
  claimed_until: string | null;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie's token: the token itself is never stored. */
  token_hash: string;
  user_id: number;
  /** Sent back in X-CSRF-Token by every state-changing request the session makes. */
  csrf_token: string;
  created: string;
  expires: string;
}

export interface DB {
  users: UsersTable;
  lab_groups: LabGroupsTable;
  group_members: GroupMembersTable;
  records: RecordsTable;
  forms: FormsTable;
  fields: FieldsTable;
  document_versions: DocumentVersionsTable;
  media: MediaTable;
  field_files: FieldFilesTable;
  field_links: FieldLinksTable;
  comments: CommentsTable;
  import_blobs: ImportBlobsTable;
  export_jobs: ExportJobsTable;
  export_plan: ExportPlanTable;
  rate_limits: RateLimitsTable;
  sessions: SessionsTable;
  notification_settings: NotificationSettingsTable;
  notice_deliveries: NoticeDeliveriesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type RecordRowDb = Selectable<RecordsTable>;
export type NewRecordRow = Insertable<RecordsTable>;
export type FieldRowDb = Selectable<FieldsTable>;
export type ExportJobRow = Selectable<ExportJobsTable>;
export type NotificationSettingsRow = Selectable<NotificationSettingsTable>;
export type NoticeDeliveryRow = Selectable<NoticeDeliveriesTable>;
export type NewNoticeDeliveryRow = Insertable<NoticeDeliveriesTable>;
