import { Type, type Static, type TSchema } from '@sinclair/typebox';

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
export type ErrorBodyType = Static<typeof ErrorBody>;

/** What every route answers when it fails, so the OpenAPI document lists the error shape. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
};

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

export function paginated<T extends TSchema>(key: string, item: T) {
  return Type.Object({
    totalHits: Type.Integer(),
    pageNumber: Type.Integer(),
    [key]: Type.Array(item),
    _links: Links,
  });
}
