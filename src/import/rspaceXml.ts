import { inOrder } from '../export/ordered.js';
import { isoDate, readDocument, type ArchiveIndex, type ReadDocument } from './rspaceDocument.js';
import type { ArchiveSource, SourceArchive, SourceContainer, SourceDocument, SourceFile, SourceItem, SourcePerson } from './source.js';
import { child, childText, childrenNamed, parseXml, type XmlElement } from './xmlTree.js';

/**
 * Entries read at once, in order: each read is a request of its own to the blob store (a GET
 * from S3), so one at a time left an archive of 5,000 documents waiting on 10,000 in a row.
 */
const readsAtOnce = 8;

/** Metadata is read whole; a single field can be large (pasted tables, images as data URLs), so the cap is generous. */
export const maxMetadataBytes = 64 * 1024 * 1024;

// `doc_<Name>-<id>/doc_<Name>-<id>.xml` since 2015; `doc<name><hex>/doc<name><hex>.xml` in 2014's archives.
const documentXml = /^(doc[^/]*)\/\1\.xml$/;
const galleryXml = /^(media_[^/]*)\/\1\.xml$/;

function documentFolders(source: ArchiveSource): string[] {
  return source.entries.flatMap((e) => documentXml.exec(e.path)?.[1] ?? []);
}

/** Whether the archive holds RSpace's document XML: an RSpace XML archive, or a `.eln` that carries it. */
export function carriesRspaceDocuments(source: ArchiveSource): boolean {
  return source.entries.some((e) => documentXml.test(e.path));
}

/**
 * An RSpace XML archive, RSpace's own or elnport's: documents in `doc*` folders, or at least a
 * `folderTree.xml`. A `.eln` carries the same XML beside its `ro-crate-metadata.json` (RSpace's
 * and ours): that is read as `.eln`, the format it declares.
 */
export function isRspaceXmlArchive(source: ArchiveSource): boolean {
  const paths = new Set(source.entries.map((e) => e.path));
  if (paths.has('ro-crate-metadata.json')) return false;
  return carriesRspaceDocuments(source) || paths.has('folderTree.xml');
}

async function readXml(source: ArchiveSource, path: string): Promise<XmlElement> {
  return parseXml(await source.readText(path, maxMetadataBytes), path);
}

async function readUsers(source: ArchiveSource, has: (p: string) => boolean): Promise<Map<string, SourcePerson>> {
  const users = new Map<string, SourcePerson>();
  if (!has('users.xml')) return users;
  for (const user of childrenNamed(child(await readXml(source, 'users.xml'), 'listOfUsers'), 'user')) {
    const username = childText(user, 'username');
    if (!username) continue;
    const givenName = childText(user, 'firstName');
    const familyName = childText(user, 'lastName');
    const email = childText(user, 'email');
    users.set(username, {
      name: [givenName, familyName].filter(Boolean).join(' ') || username,
      ...(givenName ? { givenName } : {}),
      ...(familyName ? { familyName } : {}),
      ...(email ? { email } : {}),
    });
  }
  return users;
}

interface TreeFolder {
  id: string;
  parentId: string | undefined;
  type: string;
  container: SourceContainer;
}

function readFolders(tree: XmlElement | undefined, users: Map<string, SourcePerson>): TreeFolder[] {
  return childrenNamed(child(tree ?? { name: '', attributes: {}, children: [], text: '' }, 'listFolders'), 'folderTree').map((el) => {
    const type = el.attributes.type ?? 'FOLDER';
    const kind = type.split(':').includes('NOTEBOOK') ? 'NOTEBOOK' : 'FOLDER';
    const id = el.attributes.id ?? '';
    const owner = child(el, 'owner');
    const username = owner && childText(owner, 'uniqueName');
    // users.xml is in user and group exports only; folderTree.xml names the owner in every one.
    if (owner && username && !users.has(username) && childText(owner, 'fullName')) {
      const email = childText(owner, 'email');
      users.set(username, { name: childText(owner, 'fullName')!, ...(email ? { email } : {}) });
    }
    const created = isoDate(childText(el, 'creationDate'));
    const modified = isoDate(childText(el, 'modificationDate'));
    return {
      id,
      parentId: el.attributes.parentId,
      type,
      container: {
        kind,
        key: `${kind === 'NOTEBOOK' ? 'NB' : 'FL'}${id}`,
        name: el.attributes.name ?? '',
        ...(created ? { created } : {}),
        ...(modified ? { modified } : {}),
        children: [],
      },
    };
  });
}

/**
 * The folder tree with its documents. The Gallery (`ROOT_MEDIA`) and what is under it hold files,
 * not work: its files are the archive's gallery files. A document's place is its `folderId`; one
 * whose folder is not in the tree (a selection export lists no folders) is at the top. Documents
 * follow a container's sub-folders, by id: RSpace's archives do not record a notebook's entry
 * order, and id order is creation order, which is how both RSpace and elnport order entries.
 * The import lands in a folder of its own, so a user's home folder (`ROOT`) holding everything
 * is not kept as one more level: its contents are the top.
 */
function buildTree(folders: TreeFolder[], documents: { doc: SourceDocument; folderId: string | undefined }[], warnings: string[]): SourceItem[] {
  const byId = new Map(folders.map((f) => [f.id, f]));
  const typed = (folder: TreeFolder, type: string) => folder.type.split(':').includes(type);
  const ancestors = function* (folder: TreeFolder): Generator<TreeFolder> {
    const seen = new Set<string>([folder.id]);
    for (let at = folder.parentId === undefined ? undefined : byId.get(folder.parentId); at && !seen.has(at.id); at = at.parentId === undefined ? undefined : byId.get(at.parentId)) {
      seen.add(at.id);
      yield at;
    }
  };
  const loops = (folder: TreeFolder): boolean => {
    const seen = new Set<string>();
    for (let at: TreeFolder | undefined = folder; at; at = at.parentId === undefined ? undefined : byId.get(at.parentId)) {
      if (seen.has(at.id)) return true;
      seen.add(at.id);
    }
    return false;
  };
  // Templates are documents, though RSpace 1.35 kept their folder inside the Gallery (v1-35).
  const inGallery = (folder: TreeFolder): boolean => {
    for (const at of [folder, ...ancestors(folder)]) {
      if (typed(at, 'TEMPLATE')) return false;
      if (typed(at, 'ROOT_MEDIA')) return true;
    }
    return false;
  };
  const placed = new Map(folders.filter((f) => !inGallery(f)).map((f) => [f.id, f]));
  const top: SourceItem[] = [];
  for (const folder of placed.values()) {
    // The nearest ancestor that is kept: a folder under the Gallery's goes to the Gallery's parent.
    const looped = loops(folder);
    const parent = looped ? undefined : [...ancestors(folder)].find((a) => placed.has(a.id));
    if (looped) warnings.push(`folder "${folder.container.name}" (${folder.id}) is its own ancestor in folderTree.xml; placed at the top`);
    (parent ? parent.container.children : top).push(folder.container);
  }
  const byNumber = (a: SourceDocument, b: SourceDocument) => Number(a.key.slice(2)) - Number(b.key.slice(2)) || a.key.localeCompare(b.key);
  for (const { doc, folderId } of [...documents].sort((a, b) => byNumber(a.doc, b.doc))) {
    const folder = folderId === undefined ? undefined : placed.get(folderId);
    (folder ? folder.container.children : top).push(doc);
  }
  const root = top.length === 1 && top[0]!.kind === 'FOLDER' ? placed.get(top[0]!.key.slice(2)) : undefined;
  return root && root.type.split(':').includes('ROOT') ? root.container.children : top;
}

async function readGallery(source: ArchiveSource, sizes: Map<string, number>): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const listed = source.entries.flatMap((entry) => {
    const folder = galleryXml.exec(entry.path)?.[1];
    return folder ? [{ folder, path: entry.path }] : [];
  });
  for await (const { folder, meta } of inOrder(listed, async ({ folder, path }) => ({ folder, meta: await readXml(source, path) }), readsAtOnce)) {
    const name = childText(meta, 'linkFile', 'fileName');
    const filePath = name === undefined || name.includes('/') ? undefined : `${folder}/${name}`;
    if (filePath === undefined || !sizes.has(filePath)) continue;
    const created = isoDate(childText(meta, 'creationDate'));
    files.push({
      key: filePath,
      path: filePath,
      name: childText(meta, 'name', 'fileName') ?? name!,
      contentType: childText(meta, 'contentType')?.toLowerCase() ?? 'application/octet-stream',
      caption: childText(meta, 'description') ?? '',
      ...(created ? { created } : {}),
      size: sizes.get(filePath)!,
    });
  }
  return files;
}

/** Reads an RSpace XML archive (2014 to now, and elnport's) into the import's source model. */
export async function readRspaceXml(source: ArchiveSource): Promise<SourceArchive> {
  const warnings: string[] = [];
  const sizes = new Map(source.entries.map((e) => [e.path, e.size]));
  const has = (p: string) => sizes.has(p);
  const users = await readUsers(source, has);
  const folders = readFolders(has('folderTree.xml') ? await readXml(source, 'folderTree.xml') : undefined, users);

  const parsed: { folder: string; xml: XmlElement; id: string }[] = [];
  const documentXmls = inOrder(documentFolders(source), async (folder) => ({ folder, xml: await readXml(source, `${folder}/${folder}.xml`) }), readsAtOnce);
  for await (const { folder, xml } of documentXmls) {
    if (xml.name !== 'archivalDocument' || !/^\d+$/.test(xml.attributes.docId ?? '')) {
      warnings.push(`${folder}/${folder}.xml is not an RSpace document (no archivalDocument with a docId); left out`);
      continue;
    }
    parsed.push({ folder, xml, id: xml.attributes.docId! });
  }
  const documentIds = new Set(parsed.map((p) => p.id));
  const keyOfFolder = new Map(parsed.map((p) => [p.folder, `SD${p.id}`]));
  const index: ArchiveIndex = {
    sizes,
    users,
    documentById: (id) => (documentIds.has(id) ? `SD${id}` : undefined),
    documentByFolder: (folder) => keyOfFolder.get(folder),
  };

  const current = new Map<string, ReadDocument>();
  const kept = new Map<string, ReadDocument[]>();
  const withForms = inOrder(parsed, async (p) => {
    const formPath = `${p.folder}/${p.folder}_form.xml`;
    return { ...p, form: has(formPath) ? await readXml(source, formPath) : undefined };
  }, readsAtOnce);
  for await (const { folder, xml, id, form } of withForms) {
    const read = readDocument(xml, folder, form, index, warnings);
    if (new RegExp(`-${id}-rev\\d+$`).test(folder)) kept.set(id, [...(kept.get(id) ?? []), read]);
    else if (current.has(id)) warnings.push(`${folder} repeats document SD${id}; left out`);
    else current.set(id, read);
  }
  for (const [id, versions] of kept) {
    const doc = current.get(id)?.document;
    if (!doc) {
      warnings.push(`SD${id} has earlier versions but no current one in the archive; they are left out`);
      continue;
    }
    doc.revisions = versions
      .sort((a, b) => a.version - b.version)
      .map((v) => ({ version: v.version, name: v.document.name, ...(v.document.modified ? { modified: v.document.modified } : {}), fields: v.document.fields }));
  }

  const documents = [...current.values()].map((r) => ({ doc: r.document, folderId: r.folderId }));
  const attached = new Set(documents.flatMap((d) => d.doc.files.map((f) => f.key)));
  const gallery = await readGallery(source, sizes);
  return {
    format: 'rspace-xml',
    items: buildTree(folders, documents, warnings),
    galleryFiles: gallery.filter((f) => !attached.has(f.key)),
    warnings,
  };
}
