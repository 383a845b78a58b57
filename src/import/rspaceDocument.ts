import path from 'node:path';
import { resolveReference, rewriteContent, type ListedFile } from './rspaceContent.js';
import type { SourceComment, SourceDocument, SourceField, SourceFile, SourcePerson } from './source.js';
import { child, childText, childrenNamed, type XmlElement } from './xmlTree.js';

/** What reading one document needs from the rest of the archive. */
export interface ArchiveIndex {
  /** Entry path → size. */
  sizes: ReadonlyMap<string, number>;
  users: ReadonlyMap<string, SourcePerson>;
  documentById(id: string): string | undefined;
  documentByFolder(folder: string): string | undefined;
}

/**
 * RSpace writes `2014-04-28T20:28:02Z`, `…02.914Z`, `2019-09-06T09:36:54+01:00`, a bare
 * `2014-07-31` (its 2014 archives) and, in forms, milliseconds since 1970.
 */
export function isoDate(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const time = /^\d{9,}$/.test(text) ? Number(text) : /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(text) ? Date.parse(text) : NaN;
  return Number.isFinite(time) ? new Date(time).toISOString() : undefined;
}

/** RSpace's 2014 archives say `image/.jpg` and `attachment/.rtf`; a type that is not `major/minor` says nothing. */
function contentType(text: string | undefined): string {
  const type = text?.toLowerCase().replace(/\/\./, '/');
  return type && /^(application|audio|font|image|model|text|video)\/[a-z0-9][\w.+-]*$/.test(type) ? type : 'application/octet-stream';
}

// Every list of a field that describes a file; `link-info` describes a document.
const fileLists = ['imageList', 'audioList', 'videoList', 'attachList', 'chemdooleImageList', 'ImageAnnotationList', 'sketchImageList', 'mathList'];

function sourceFile(info: XmlElement, filePath: string, sizes: ReadonlyMap<string, number>): SourceFile {
  const created = isoDate(childText(info, 'creationDate'));
  return {
    key: filePath,
    path: filePath,
    name: childText(info, 'name', 'fileName') ?? path.posix.basename(filePath),
    contentType: contentType(childText(info, 'contentType')),
    caption: childText(info, 'description') ?? '',
    ...(created ? { created } : {}),
    size: sizes.get(filePath)!,
  };
}

export function personOf(username: string | undefined, users: ReadonlyMap<string, SourcePerson>): SourcePerson[] {
  if (!username) return [];
  return [users.get(username) ?? { name: username }];
}

function comments(field: XmlElement): SourceComment[] {
  return childrenNamed(child(field, 'commentList'), 'comment').flatMap((comment) => {
    // Items are the comment's thread: `items/commentItem` since 2017, `listCommentItems/item` in 2014.
    const items = [...childrenNamed(child(comment, 'items'), 'commentItem'), ...childrenNamed(child(comment, 'listCommentItems'), 'item')];
    return items.flatMap((item) => {
      const text = childText(item, 'itemContent', 'content');
      if (!text) return [];
      const author = childText(item, 'lastUpdater') ?? childText(comment, 'author');
      const created = isoDate(childText(item, 'createDate'));
      return [{ text, ...(author ? { author } : {}), ...(created ? { created } : {}) }];
    });
  });
}

export interface ReadDocument {
  document: SourceDocument;
  folderId: string | undefined;
  version: number;
}

/** One `archivalDocument` (its folder `folder`, its form if the archive has it) as a SourceDocument. */
export function readDocument(xml: XmlElement, folder: string, form: XmlElement | undefined, index: ArchiveIndex, warnings: string[]): ReadDocument {
  const id = xml.attributes.docId ?? '';
  const name = childText(xml, 'name') ?? folder;
  const label = `document "${name}" (SD${id})`;
  const problems: string[] = [];
  const files: SourceFile[] = [];
  const mentions: string[] = [];
  const fields: SourceField[] = [];
  const allComments: SourceComment[] = [];
  const addFile = (file: SourceFile) => {
    if (!files.some((f) => f.key === file.key)) files.push(file);
  };
  for (const field of childrenNamed(child(xml, 'listFields'), 'field')) {
    const listed: ListedFile[] = [];
    for (const list of fileLists) {
      for (const info of child(field, list)?.children ?? []) {
        const linkFile = childText(info, 'linkFile');
        const filePath = resolveReference(folder, linkFile);
        if (filePath === undefined || !index.sizes.has(filePath)) {
          problems.push(`lists ${childText(info, 'fileName') ?? linkFile ?? 'a file'}, which is not in the archive`);
          continue;
        }
        const file = sourceFile(info, filePath, index.sizes);
        listed.push({ id: info.attributes.id ?? '', list: info.name, name: childText(info, 'fileName') ?? file.name, path: filePath });
        addFile(file);
      }
    }
    for (const link of childrenNamed(child(field, 'linkRecordList'), 'link-info')) {
      const target = resolveReference(folder, childText(link, 'linkFile'))?.split('/')[0];
      const key = target === undefined ? undefined : index.documentByFolder(target);
      if (key) {
        if (!mentions.includes(key)) mentions.push(key);
      } else problems.push(`links to "${childText(link, 'fileName', 'name') ?? childText(link, 'linkFile') ?? ''}", which is not in the archive`);
    }
    const rewritten = rewriteContent(child(field, 'fieldData')?.text ?? '', {
      folder,
      hasEntry: (p) => index.sizes.has(p),
      listed,
      documentById: index.documentById,
      documentByFolder: index.documentByFolder,
    });
    for (const filePath of rewritten.files) {
      if (!files.some((f) => f.key === filePath)) addFile({ key: filePath, path: filePath, name: path.posix.basename(filePath), contentType: 'application/octet-stream', caption: '', size: index.sizes.get(filePath)! });
    }
    for (const key of rewritten.documents) if (!mentions.includes(key)) mentions.push(key);
    problems.push(...rewritten.problems);
    allComments.push(...comments(field));
    fields.push({ name: childText(field, 'fieldName') ?? `Field ${fields.length + 1}`, type: (childText(field, 'fieldType') ?? 'TEXT').toUpperCase(), content: rewritten.content });
  }
  if (fields.length === 0) fields.push({ name: 'Data', type: 'TEXT', content: '' });
  for (const problem of new Set(problems)) warnings.push(`${label} ${problem}`);

  const created = childText(xml, 'creationDate', 'createDate');
  const modified = childText(xml, 'lastModifiedDate');
  for (const [what, text] of [['creation', created], ['modification', modified]] as const) {
    if (text !== undefined && isoDate(text) === undefined) warnings.push(`${label}: its ${what} date "${text}" cannot be read, left out`);
  }
  const formName = form && childText(form, 'name');
  const document: SourceDocument = {
    kind: 'DOCUMENT',
    key: `SD${id}`,
    sourceId: `SD${id}`,
    name,
    ...(isoDate(created) ? { created: isoDate(created)! } : {}),
    ...(isoDate(modified) ? { modified: isoDate(modified)! } : {}),
    tags: (childText(xml, 'tag') ?? '').split(',').map((t) => t.trim()).filter(Boolean),
    ...(form && formName
      ? {
          form: {
            name: formName,
            fields: childrenNamed(child(form, 'listFormFields'), 'fieldForm').map((f) => ({ name: childText(f, 'name') ?? '', type: (childText(f, 'type') ?? 'TEXT').toUpperCase() })),
          },
        }
      : {}),
    fields,
    files,
    mentions: mentions.filter((key) => key !== `SD${id}`),
    authors: personOf(childText(xml, 'createdBy', 'createBy'), index.users),
    comments: allComments,
    revisions: [],
  };
  // `parentFolder` is 2014's, always `default` there; `folderId` is what every version writes.
  return { document, folderId: childText(xml, 'folderId'), version: Number(childText(xml, 'recordVersion') ?? 0) };
}
