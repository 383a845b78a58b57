import { Type, type TSchema } from '@sinclair/typebox';

/** Schemas shared by several route files; each route file holds its own as well. */

export const Link = Type.Object({ link: Type.String(), rel: Type.String() });
export const Links = Type.Array(Link);

export const ErrorBody = Type.Object(
  {
    status: Type.String(),
    httpCode: Type.Integer(),
    internalCode: Type.Integer(),
    message: Type.String(),
    messageCode: Type.Null(),
    errors: Type.Array(Type.String()),
    iso8601Timestamp: Type.String(),
    data: Type.Union([Type.Null(), Type.Object({}, { additionalProperties: true })]),
  },
);

/**
 * What each refusal means, for the OpenAPI document: a route lists, with `errors(…)`, the codes it
 * really answers, all with the one error body. Refusals any request may meet before it reaches a
 * route (a malformed request line, a deadline passed, headers too large, the server closing) are
 * in the document's description, not on every operation.
 */
const errorMeanings = {
  400: 'A parameter, field or body that is missing, of the wrong type, invalid or unreadable',
  401: 'No API key, an unknown or malformed one, a disabled account, or a caller who may not do this',
  403: 'A change made with the session cookie but without its CSRF token in X-CSRF-Token',
  404: 'Nothing with that id, or nothing the caller may see: the two answer alike',
  410: 'The export has expired and its archive was deleted',
  413: 'The request or its file is larger than the server takes',
  415: 'A body in a media type the operation does not take',
  416: 'A Range outside the content; Content-Range gives its length',
  422: 'Well formed, but not something that can be done',
  429: 'Too many requests, or an export already running; Retry-After says when to try again',
  500: 'An internal error; it has been logged',
} as const;
type ErrorCode = keyof typeof errorMeanings;

export function errors<C extends ErrorCode>(...codes: C[]): Record<C, typeof ErrorBody> {
  return Object.fromEntries(codes.map((code) => [code, Type.Object(ErrorBody.properties, { description: errorMeanings[code] })])) as Record<C, typeof ErrorBody>;
}

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const PageQuery = {
  pageNumber: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
};

export const OrderBy = Type.Optional(
  Type.String({
    pattern: '^(name|created|lastModified)( (asc|desc))?$',
    description: 'name, created or lastModified, then asc or desc',
  }),
);

export const UserSummary = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  homeFolderId: Type.Integer(),
  workbenchId: Type.Integer(),
  hasPiRole: Type.Boolean(),
  hasSysAdminRole: Type.Boolean(),
  _links: Links,
});

export const UserDetails = Type.Composite([
  UserSummary,
  Type.Object({ role: Type.String(), affiliation: Type.Union([Type.String(), Type.Null()]), enabled: Type.Boolean() }),
]);

export function paginated<T extends TSchema>(key: string, item: T) {
  return Type.Object({
    totalHits: Type.Integer(),
    pageNumber: Type.Integer(),
    [key]: Type.Array(item),
    _links: Links,
  });
}
