import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify compiles every route's request validator and response serializers (one per status code)
 * when the app starts: for our routes that was 26 MB of a fresh server's 136 MB, most of it the
 * serializers of error answers that a server may never give. These are Fastify's own compilers,
 * the ones it would pick, each made to compile a schema on the first request that needs it.
 */

type Compile = (route: unknown) => (data: unknown) => unknown;
type Factory = (externalSchemas: unknown, options: unknown) => Compile;

// Fastify's dependencies, loaded as Fastify loads them (lib/schema-controller.js).
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const ajvCompiler = fromFastify('@fastify/ajv-compiler') as () => Factory;
const serializerCompiler = fromFastify('@fastify/fast-json-stringify-compiler') as () => Factory;

/** What a compiler is told of the schema's route (Fastify's lib/validation.js). */
interface RouteOfSchema {
  url?: string;
  method?: string;
  /** Set for a response serializer. */
  httpStatus?: string;
}

/** A route by method and full path (prefix included), as Fastify names it to the compilers. */
export type RouteName = `${string} /${string}`;

function compiledNow(route: unknown, eager: ReadonlySet<RouteName>): boolean {
  const { url, method, httpStatus } = route as RouteOfSchema;
  if (httpStatus !== undefined && !httpStatus.startsWith('2')) return false;
  return eager.has(`${method} ${url}` as RouteName);
}

/** Fastify reads an ajv validator's `errors` after calling it, so they are passed on. */
function lazyValidator(compile: Compile, eager: ReadonlySet<RouteName>): Compile {
  return (route) => {
    if (compiledNow(route, eager)) return compile(route);
    let validate: ((data: unknown) => unknown) & { errors?: unknown };
    const lazy = (data: unknown) => {
      validate ??= compile(route);
      const valid = validate(data);
      lazy.errors = validate.errors;
      return valid;
    };
    lazy.errors = undefined as unknown;
    return lazy;
  };
}

function lazySerializer(compile: Compile, eager: ReadonlySet<RouteName>): Compile {
  return (route) => {
    if (compiledNow(route, eager)) return compile(route);
    let serialize: ((data: unknown) => unknown) | undefined;
    return (data) => (serialize ??= compile(route))(data);
  };
}

/**
 * Fastify's `schemaController` option; each app gets compilers (and an ajv) of its own, as by
 * default. The `eager` routes' validators and success serializers are compiled as the app starts:
 * those of requests every export makes (starting it, polling it), since compiled on its first
 * request, POST /export held the event loop 96–121 ms while other exports ran (bench responsive).
 */
export function lazySchemaCompilers(eager: ReadonlySet<RouteName> = new Set()): NonNullable<FastifyServerOptions['schemaController']> {
  const buildValidator = ajvCompiler();
  const buildSerializer = serializerCompiler();
  return {
    compilersFactory: {
      buildValidator: ((schemas: unknown, options: unknown) => lazyValidator(buildValidator(schemas, options), eager)) as never,
      buildSerializer: ((schemas: unknown, options: unknown) => lazySerializer(buildSerializer(schemas, options), eager)) as never,
    },
  };
}
