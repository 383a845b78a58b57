import type { ExportComment, ExportField, ExportFieldLink } from '../../domain/exportModel.js';
import { galleryMetadata } from './galleryXml.js';
import { element, type XmlElement } from './xmlTree.js';

type MediaKind = 'image' | 'audio' | 'video' | 'attach';

function mediaKind(contentType: string): MediaKind {
  const major = contentType.toLowerCase().split('/')[0];
  return major === 'image' || major === 'audio' || major === 'video' ? major : 'attach';
}

/** RSpace types a link as gallery metadata too; `fileName` carries the name, as in its archives. */
function linkInfo(link: ExportFieldLink, fieldId: number): XmlElement {
  return element('link-info', [
    element('schemaVersion', 1),
    element('parentId', fieldId),
    element('fileName', link.name),
    element('name', link.name),
    element('linkFile', link.href),
  ], { id: link.id });
}

/** RSpace's comment is a thread of items; each of ours is a thread of one. */
function commentElement(comment: ExportComment): XmlElement {
  return element('comment', [
    element('author', comment.author),
    element('createDate', comment.created),
    element('items', [element('commentItem', [element('lastUpdater', comment.author), element('createDate', comment.created), element('itemContent', comment.text)])]),
  ]);
}

/**
 * One `<field>`. Every list is written, empty when there is nothing in it, in the order of
 * RSpace's `archivalField` sequence; the lists for things elnport does not
 * store (chemistry, maths, annotations, sketches, network files) are always empty.
 */
export function fieldElement(field: ExportField, fieldData: string): XmlElement {
  const infos = (kind: MediaKind, tag: string) =>
    field.files.filter((f) => mediaKind(f.file.contentType) === kind).map((f) => galleryMetadata(tag, f.file, field.id, f.href));
  return element('field', [
    element('fieldName', field.name),
    element('fieldType', field.type),
    element('lastModifiedDate', field.modified),
    element('fieldData', fieldData),
    element('commentList', field.comments.map(commentElement)),
    element('imageList', infos('image', 'image-Info')),
    element('audioList', infos('audio', 'audio-Info')),
    element('videoList', infos('video', 'video-info')),
    element('chemdooleImageList'),
    element('mathList'),
    element('ImageAnnotationList'),
    element('attachList', infos('attach', 'attach-info')),
    element('linkRecordList', field.links.map((link) => linkInfo(link, field.id))),
    element('sketchImageList'),
    element('nfsElementList'),
  ], { id: field.id });
}
