import type { ExportField, ExportFieldLink } from '../../domain/exportModel.js';
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

/**
 * One `<field>`. Every list is written, empty when there is nothing in it, in the order of
 * RSpace's `archivalField` sequence; the lists for things elnport does not store (comments,
 * chemistry, maths, annotations, sketches, network files) are always empty.
 */
export function fieldElement(field: ExportField, fieldData: string): XmlElement {
  const infos = (kind: MediaKind, tag: string) =>
    field.files.filter((f) => mediaKind(f.file.contentType) === kind).map((f) => galleryMetadata(tag, f.file, field.id, f.href));
  return element('field', [
    element('fieldName', field.name),
    element('fieldType', field.type),
    element('lastModifiedDate', field.modified),
    element('fieldData', fieldData),
    element('commentList'),
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
