/**
 * Files that are compressed already gain nothing from deflate and cost CPU time, so they are
 * stored as they are. Decided by content type and extension, never by sniffing the bytes.
 */
const compressedTypes = /^(image\/(png|jpeg|jpg|gif|webp|avif|heic|heif)|video\/|audio\/(mpeg|mp4|aac|ogg|opus|webm)|application\/(zip|gzip|x-gzip|x-7z-compressed|x-rar-compressed|x-bzip2|x-xz|zstd|pdf|vnd\.openxmlformats|epub))/;
const compressedExtensions = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'heic', 'mp4', 'mov', 'mkv', 'webm', 'mp3', 'm4a', 'aac', 'ogg', 'opus',
  'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'pdf', 'eln', 'jar',
]);

export function worthCompressing(contentType: string, extension: string): boolean {
  return !compressedTypes.test(contentType.toLowerCase()) && !compressedExtensions.has(extension.toLowerCase());
}
