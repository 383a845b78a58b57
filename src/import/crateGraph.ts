import { archiveRefused } from '../domain/errors.js';
import type { ArchiveSource } from './source.js';

/** One node of an RO-Crate's `@graph`: JSON-LD, flattened, as the exporters write it. */
export type Entity = Record<string, unknown> & { '@id': string };

export const metadataFile = 'ro-crate-metadata.json';
// Far above any fixture's (SampleDB's, the largest, is 60 KB); the metadata is read whole.
const maxMetadataBytes = 64 * 1024 * 1024;

/**
 * The spellings of one id or entry path that exporters disagree on: percent-encoding
 * (`IR%20RAJ15`), a leading `./` or none (PASTA goldStandard, OpenSemanticLab), doubled slashes
 * (eLabFTW's entries are `Demo - … - 4af4da4e//example.jpg`), a trailing `/` on Datasets.
 */
export function normaliseId(id: string): string {
  let decoded = id;
  try {
    decoded = decodeURIComponent(id);
  } catch {
    // A lone `%` is a character of the name, not an escape.
  }
  return decoded.replace(/\/{2,}/g, '/').replace(/^(\.\/)+/, '').replace(/\/$/, '');
}

/** The `@id`s a property refers to: `{ "@id": … }`, a list of them, or a bare string. */
export function refs(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.flatMap((v) => (typeof v === 'string' ? [v] : isObject(v) && typeof v['@id'] === 'string' ? [v['@id']] : []));
}

export function types(entity: Record<string, unknown>): string[] {
  const t = entity['@type'];
  return (Array.isArray(t) ? t : [t]).filter((x): x is string => typeof x === 'string');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface CrateGraph {
  root: Entity;
  /** By raw `@id`, then by its normalised spelling; the first of duplicates wins. */
  get(id: string): Entity | undefined;
  /** Every entity whose `parentItem` is the one given (SampleDB lists comments only that way). */
  childrenOf(id: string): Entity[];
  /** The entry holding a File's bytes, if the archive has it. */
  entryFor(id: string): string | undefined;
  warnings: string[];
}

/** Reads and checks the metadata: anything but a graph with a root Dataset is refused, before anything is written. */
export async function readGraph(source: ArchiveSource): Promise<CrateGraph> {
  if (!source.entries.some((e) => e.path === metadataFile)) throw archiveRefused(`The .eln archive has no ${metadataFile} in its top folder`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await source.readText(metadataFile, maxMetadataBytes));
  } catch (cause) {
    throw archiveRefused(`The .eln archive's ${metadataFile} cannot be read as JSON: ${(cause as Error).message}`);
  }
  const graph = isObject(parsed) ? parsed['@graph'] : undefined;
  if (!Array.isArray(graph)) throw archiveRefused(`The .eln archive's ${metadataFile} has no @graph`);

  const warnings: string[] = [];
  const byRaw = new Map<string, Entity>();
  const byNormal = new Map<string, Entity>();
  const byParent = new Map<string, Entity[]>();
  const repeated = new Map<string, number>();
  for (const node of graph) {
    if (!isObject(node) || typeof node['@id'] !== 'string') continue;
    const entity = node as Entity;
    const id = entity['@id'];
    // datalab repeats its Person and SoftwareApplication entities once per item.
    if (byRaw.has(id)) {
      repeated.set(id, (repeated.get(id) ?? 1) + 1);
      continue;
    }
    byRaw.set(id, entity);
    if (!byNormal.has(normaliseId(id))) byNormal.set(normaliseId(id), entity);
    for (const parent of refs(entity.parentItem)) {
      const key = normaliseId(parent);
      byParent.set(key, [...(byParent.get(key) ?? []), entity]);
    }
  }
  for (const [id, times] of repeated) warnings.push(`The crate describes ${id} ${times} times; the first description is used`);
  const get = (id: string) => byRaw.get(id) ?? byNormal.get(normaliseId(id));

  const descriptor = get(metadataFile);
  const root = descriptor && refs(descriptor.about).map(get)[0];
  if (!root || !types(root).includes('Dataset')) {
    throw archiveRefused(`The .eln archive's ${metadataFile} describes no root Dataset (the descriptor's "about")`);
  }

  const entries = new Map<string, string>();
  for (const entry of source.entries) {
    const key = entry.path.replace(/\/{2,}/g, '/');
    if (!entries.has(key)) entries.set(key, entry.path);
  }
  const entryFor = (id: string) => {
    // Raw first: an entry may really have `%20` in its name.
    const raw = id.replace(/\/{2,}/g, '/').replace(/^(\.\/)+/, '');
    return entries.get(raw) ?? entries.get(normaliseId(id));
  };
  return { root, get, childrenOf: (id) => byParent.get(normaliseId(id)) ?? [], entryFor, warnings };
}
