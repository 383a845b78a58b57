import type { FastifyRequest } from 'fastify';
import type { SortColumn, SortOrder } from '../store/queries/records.js';

export interface Link {
  link: string;
  rel: string;
}

/** Absolute links start at the configured public URL, else at the request's own scheme and host. */
export function baseUrl(request: FastifyRequest): string {
  return request.server.config.publicUrl ?? `${request.protocol}://${request.host}`;
}

export function apiUrl(request: FastifyRequest, path: string): string {
  return `${baseUrl(request)}/api/v1${path}`;
}

export function selfLink(request: FastifyRequest, path: string): Link {
  return { link: apiUrl(request, path), rel: 'self' };
}

/** RSpace's first/prev/next/last links for page `pageNumber` of `totalHits`, keeping the query. */
export function pageLinks(request: FastifyRequest, totalHits: number, pageNumber: number, pageSize: number): Link[] {
  const url = new URL(request.url, 'http://x');
  const lastPage = Math.max(0, Math.ceil(totalHits / pageSize) - 1);
  const at = (rel: string, page: number): Link => {
    url.searchParams.set('pageNumber', String(page));
    url.searchParams.set('pageSize', String(pageSize));
    return { link: `${baseUrl(request)}${url.pathname}?${url.searchParams.toString()}`, rel };
  };
  const links = [at('first', 0)];
  if (pageNumber > 0) links.push(at('prev', Math.min(pageNumber - 1, lastPage)));
  if (pageNumber < lastPage) links.push(at('next', pageNumber + 1));
  links.push(at('last', lastPage), at('self', pageNumber));
  return links;
}

const columns: Record<string, SortColumn> = { name: 'name', created: 'created', lastModified: 'modified' };

/** `orderBy=lastModified desc` as the store understands it; the schema has checked the words. */
export function sortOrder(orderBy: string | undefined, fallback: string): SortOrder {
  const [column = 'name', direction = 'asc'] = (orderBy ?? fallback).split(' ');
  return { column: columns[column] ?? 'name', direction: direction === 'desc' ? 'desc' : 'asc' };
}

export function page(query: { pageNumber?: number; pageSize?: number }): { pageNumber: number; pageSize: number; offset: number; limit: number } {
  const pageNumber = query.pageNumber ?? 0;
  const pageSize = query.pageSize ?? 20;
  return { pageNumber, pageSize, offset: pageNumber * pageSize, limit: pageSize };
}
