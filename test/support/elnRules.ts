import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkZip } from './archives.js';
import { consortiumSchemaErrors } from './consortiumSchema.js';

/**
 * The ELN Consortium's structural rules for a `.eln` file (issue 11, item 4), checked from outside:
 * the zip is read by Python's zipfile, never by our own writer's code, so a mistake in the writer
 * cannot hide itself. Every rule has its own name, so a test can say exactly which ones a file breaks.
 * A problem that leaves nothing further to read (no zip, no folder, no metadata, no @graph) ends the check.
 */
export const elnRules = [
  // 1. The zip's names.
  'zip-unreadable', 'zip-one-root', 'zip-outside-root', 'zip-dotdot', 'zip-absolute', 'zip-backslash', 'zip-empty-segment',
  // 2. ro-crate-metadata.json.
  'metadata-missing', 'metadata-json', 'metadata-context', 'metadata-graph',
  // 3. The metadata descriptor.
  'descriptor-missing', 'descriptor-about', 'descriptor-version', 'descriptor-sdPublisher',
  // 4. The root Dataset.
  'root-missing', 'root-type', 'root-name', 'root-datePublished', 'root-hasPart',
  // 5. Ids and hasPart.
  'graph-duplicate-id', 'hasPart-missing', 'hasPart-untyped',
  // 6. Names and keywords.
  'dataset-name', 'file-name', 'keywords-array',
  // 7. Each File's bytes.
  'file-missing', 'file-contentSize', 'file-sha256',
  // 8. One problem per error against the consortium's JSON Schema.
  'schema',
] as const;

export type ElnRule = (typeof elnRules)[number];

export interface ElnProblem {
  rule: ElnRule;
  detail: string;
}

export interface ElnOptions {
  /** Validate ro-crate-metadata.json against the consortium's JSON Schema (default true). */
  schema?: boolean;
  /** Compare each File's sha256 with its bytes (default true); contentSize is always compared. */
  checksums?: boolean;
}

interface ZipEntry {
  name: string;
  /** Uncompressed size, from the central directory. */
  size: number;
  /** Absent when checksums were not asked for, or when the entry could not be read. */
  sha256?: string;
  /** Why Python could not read the entry's bytes (a bad CRC, a method it lacks). */
  error?: string;
  /** Base64 of the bytes of any `folder/ro-crate-metadata.json`, so one Python run reads all that is needed. */
  metadata?: string;
}

type Entity = Record<string, unknown>;

interface Crate {
  root: string;
  entries: Map<string, ZipEntry>;
  graph: Entity[];
  byId: Map<string, Entity>;
}

const metadataName = 'ro-crate-metadata.json';
const contexts = new Set(['https://w3id.org/ro/crate/1.1/context', 'https://w3id.org/ro/crate/1.2/context']);

export async function elnProblems(file: string, options: ElnOptions = {}): Promise<ElnProblem[]> {
  const { schema = true, checksums = true } = options;
  let entries: ZipEntry[];
  try {
    entries = await zipEntries(file, checksums);
  } catch (error) {
    return [problem('zip-unreadable', `python zipfile cannot open it: ${(error as Error).message.trim()}`)];
  }
  const problems = [...unreadableEntryProblems(entries), ...entryNameProblems(entries)];
  const root = rootFolder(entries);
  if (root === undefined) return [...problems, problem('zip-one-root', 'no folder in the zip')];
  problems.push(...rootFolderProblems(entries, root));

  const metadata = readMetadata(root, entries);
  if ('rule' in metadata) return [...problems, metadata];
  problems.push(...contextProblems(metadata.document));
  const graph = metadata.document['@graph'];
  if (!Array.isArray(graph)) return [...problems, problem('metadata-graph', '@graph is missing or not an array')];

  const crate = crateOf(root, entries, graph);
  problems.push(
    ...duplicateIdProblems(crate),
    ...descriptorProblems(crate),
    ...rootDatasetProblems(crate),
    ...hasPartProblems(crate),
    ...nameProblems(crate),
    ...keywordsProblems(crate),
    ...fileEntryProblems(crate),
  );
  if (schema) problems.push(...consortiumSchemaErrors(metadata.document).map((e) => problem('schema', e)));
  return problems;
}

/** Also runs `unzip -t` and Python's testzip over the file, as issue 11 asks of every archive. */
export async function assertValidEln(file: string, options: ElnOptions = {}): Promise<void> {
  checkZip(file);
  const problems = await elnProblems(file, options);
  if (problems.length > 0) {
    assert.fail(`${path.basename(file)} breaks ${problems.length} .eln rule(s):\n${problems.map((p) => `  ${p.rule}: ${p.detail}`).join('\n')}`);
  }
}

function problem(rule: ElnRule, detail: string): ElnProblem {
  return { rule, detail };
}

// --- The zip, as Python reads it ---------------------------------------------------------------

const listing = `
import base64, hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = []
for info in z.infolist():
    entry = {"name": info.filename, "size": info.file_size}
    parts = info.filename.split("/")
    if len(parts) == 2 and parts[0] and parts[1] == "${metadataName}":
        try:
            entry["metadata"] = base64.b64encode(z.read(info)).decode()
        except Exception as e:
            entry["error"] = str(e)
    if sys.argv[2] == "1" and not info.is_dir():
        try:
            digest = hashlib.sha256()
            with z.open(info) as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
            entry["sha256"] = digest.hexdigest()
        except Exception as e:
            entry["error"] = str(e)
    out.append(entry)
json.dump(out, sys.stdout)
`;

async function zipEntries(file: string, checksums: boolean): Promise<ZipEntry[]> {
  const { stdout } = await promisify(execFile)('python3', ['-c', listing, file, checksums ? '1' : '0'], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as ZipEntry[];
}

// --- Rule 1: one root folder, and names that cannot escape it ----------------------------------

function unreadableEntryProblems(entries: ZipEntry[]): ElnProblem[] {
  return entries.filter((e) => e.error !== undefined).map((e) => problem('zip-unreadable', `${e.name}: ${e.error}`));
}

function entryNameProblems(entries: ZipEntry[]): ElnProblem[] {
  const problems: ElnProblem[] = [];
  for (const { name } of entries) {
    if (name.split(/[/\\]/).includes('..')) problems.push(problem('zip-dotdot', name));
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) problems.push(problem('zip-absolute', name));
    if (name.includes('\\')) problems.push(problem('zip-backslash', name));
    if (name.includes('//')) problems.push(problem('zip-empty-segment', name));
  }
  return problems;
}

/** The folder holding ro-crate-metadata.json, or else the first entry's folder. */
function rootFolder(entries: ZipEntry[]): string | undefined {
  const folders = entries.map((e) => e.name.split('/')).filter((segments) => segments.length > 1 && segments[0] !== '');
  const withMetadata = folders.find((segments) => segments.length === 2 && segments[1] === metadataName);
  return (withMetadata ?? folders[0])?.[0];
}

function rootFolderProblems(entries: ZipEntry[], root: string): ElnProblem[] {
  const problems: ElnProblem[] = [];
  const others = new Set(entries.map((e) => e.name.split('/')).filter((s) => s.length > 1 && s[0] !== '' && s[0] !== root).map((s) => s[0]));
  if (others.size > 0) problems.push(problem('zip-one-root', `folders beside ${root}/: ${[...others].join(', ')}`));
  for (const { name } of entries) {
    if (!name.startsWith(`${root}/`)) problems.push(problem('zip-outside-root', name));
  }
  return problems;
}

// --- Rule 2: ro-crate-metadata.json in the root, JSON with an RO-Crate context and a @graph -----

function readMetadata(root: string, entries: ZipEntry[]): { document: Entity } | ElnProblem {
  const name = `${root}/${metadataName}`;
  const entry = entries.find((e) => e.name === name);
  if (!entry) return problem('metadata-missing', `no ${name}`);
  // Unreadable bytes are zip-unreadable already.
  if (entry.metadata === undefined) return problem('metadata-json', `${name} could not be read`);
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(entry.metadata, 'base64')));
  } catch (error) {
    return problem('metadata-json', `${name}: ${(error as Error).message}`);
  }
  if (!isEntity(document)) return problem('metadata-json', `${name} is not a JSON object`);
  return { document };
}

function contextProblems(document: Entity): ElnProblem[] {
  const context = document['@context'];
  if (asList(context).some((c) => typeof c === 'string' && contexts.has(c))) return [];
  return [problem('metadata-context', `@context ${JSON.stringify(context)} names neither RO-Crate 1.1 nor 1.2`)];
}

function crateOf(root: string, entries: ZipEntry[], graph: unknown[]): Crate {
  const entities = graph.filter(isEntity);
  const byId = new Map<string, Entity>();
  for (const entity of entities) if (typeof entity['@id'] === 'string' && !byId.has(entity['@id'])) byId.set(entity['@id'], entity);
  // eLabFTW writes `folder//file` (see the fixture); unzip makes the same file of it as of `folder/file`.
  return { root, entries: new Map(entries.map((e) => [e.name.replace(/\/{2,}/g, '/'), e])), graph: entities, byId };
}

// --- Rule 3: the metadata descriptor ----------------------------------------------------------

function descriptorProblems({ byId }: Crate): ElnProblem[] {
  const descriptor = byId.get(metadataName);
  if (!descriptor) return [problem('descriptor-missing', `no entity with @id ${metadataName}`)];
  const problems: ElnProblem[] = [];
  if (idOf(descriptor.about) !== './') problems.push(problem('descriptor-about', `about is ${JSON.stringify(descriptor.about)}, not {"@id": "./"}`));
  if (!nonEmptyString(descriptor.version)) problems.push(problem('descriptor-version', `version is ${JSON.stringify(descriptor.version)}`));
  const publisher = descriptor.sdPublisher;
  // Embedded, or a reference to an entity of the graph: either way it must say whose it is.
  const named = isEntity(publisher) && (nonEmptyString(publisher.name) || nonEmptyString(byId.get(idOf(publisher) ?? '')?.name));
  if (!named) problems.push(problem('descriptor-sdPublisher', `sdPublisher ${JSON.stringify(publisher)} is not an entity with a name`));
  return problems;
}

// --- Rule 4: the root Dataset ---------------------------------------------------------------

function rootDatasetProblems({ byId }: Crate): ElnProblem[] {
  const root = byId.get('./');
  if (!root) return [problem('root-missing', 'no entity with @id ./')];
  const problems: ElnProblem[] = [];
  if (!hasType(root, 'Dataset')) problems.push(problem('root-type', `@type is ${JSON.stringify(root['@type'])}`));
  if (!nonEmptyString(root.name)) problems.push(problem('root-name', 'the root Dataset has no name'));
  if (!nonEmptyString(root.datePublished)) problems.push(problem('root-datePublished', 'the root Dataset has no datePublished'));
  if (root.hasPart === undefined) problems.push(problem('root-hasPart', 'the root Dataset has no hasPart'));
  return problems;
}

// --- Rule 5: ids unique, every hasPart target present and typed ------------------------------

function duplicateIdProblems({ graph }: Crate): ElnProblem[] {
  const counts = new Map<unknown, number>();
  for (const entity of graph) counts.set(entity['@id'], (counts.get(entity['@id']) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([id, n]) => problem('graph-duplicate-id', `${JSON.stringify(id)} is in @graph ${n} times`));
}

function hasPartProblems({ graph, byId }: Crate): ElnProblem[] {
  const problems: ElnProblem[] = [];
  for (const entity of graph) {
    for (const part of asList(entity.hasPart)) {
      const id = idOf(part);
      const target = id === undefined ? undefined : byId.get(id);
      if (!target) problems.push(problem('hasPart-missing', `${String(entity['@id'])} hasPart ${JSON.stringify(part)}, which is not in @graph`));
      else if (target['@type'] === undefined) problems.push(problem('hasPart-untyped', `${id}, a part of ${String(entity['@id'])}, has no @type`));
    }
  }
  return problems;
}

// --- Rule 6: names, and keywords as one string ----------------------------------------------

function nameProblems({ graph }: Crate): ElnProblem[] {
  const problems: ElnProblem[] = [];
  for (const entity of graph) {
    // The root's name is rule 4's to report (root-name), not reported twice.
    if (nonEmptyString(entity.name) || entity['@id'] === './') continue;
    if (hasType(entity, 'Dataset')) problems.push(problem('dataset-name', `Dataset ${String(entity['@id'])} has no name`));
    else if (isFile(entity)) problems.push(problem('file-name', `File ${String(entity['@id'])} has no name`));
  }
  return problems;
}

function keywordsProblems({ graph }: Crate): ElnProblem[] {
  return graph
    .filter((entity) => Array.isArray(entity.keywords))
    .map((entity) => problem('keywords-array', `${String(entity['@id'])} has keywords as an array, not one comma-separated string`));
}

// --- Rule 7: each File's bytes are in the zip, with the size and digest it claims -------------

function fileEntryProblems({ graph, root, entries }: Crate): ElnProblem[] {
  const problems: ElnProblem[] = [];
  for (const entity of graph.filter(isFile)) {
    const id = entity['@id'];
    // A File named by URL lives elsewhere (RO-Crate's web-based data entities); a `#` id names no path.
    if (typeof id !== 'string' || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(id) || id.startsWith('#')) continue;
    const name = entryName(root, id);
    const entry = name === undefined ? undefined : entries.get(name);
    if (!entry) {
      problems.push(problem('file-missing', `File ${id} has no entry ${name ?? '(its @id is not percent-decodable)'}`));
      continue;
    }
    if (entity.contentSize !== undefined && String(entity.contentSize) !== String(entry.size)) {
      problems.push(problem('file-contentSize', `File ${id}: contentSize ${JSON.stringify(entity.contentSize)}, entry has ${entry.size} bytes`));
    }
    if (entity.sha256 !== undefined && entry.sha256 !== undefined && String(entity.sha256).toLowerCase() !== entry.sha256) {
      problems.push(problem('file-sha256', `File ${id}: sha256 ${JSON.stringify(entity.sha256)}, entry's bytes give ${entry.sha256}`));
    }
  }
  return problems;
}

/** The zip entry a relative @id names: ids are URI references, so percent-encoded, maybe with `./`. */
function entryName(root: string, id: string): string | undefined {
  try {
    return path.posix.join(root, decodeURIComponent(id));
  } catch {
    return undefined;
  }
}

// --- JSON-LD shapes ------------------------------------------------------------------------

function isEntity(value: unknown): value is Entity {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON-LD lets any property hold one value or an array of them. */
function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function idOf(reference: unknown): string | undefined {
  return isEntity(reference) && typeof reference['@id'] === 'string' ? reference['@id'] : undefined;
}

function hasType(entity: Entity, type: string): boolean {
  return asList(entity['@type']).includes(type);
}

/** RO-Crate's context maps File to schema.org's MediaObject, so a crate may use either name. */
function isFile(entity: Entity): boolean {
  return hasType(entity, 'File') || hasType(entity, 'MediaObject');
}

function nonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
