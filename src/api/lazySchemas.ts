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

/** Fastify reads an ajv validator's `errors` after calling it, so they are passed on. */
function lazyValidator(compile: Compile): Compile {
  return (route) => {
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

function lazySerializer(compile: Compile): Compile {
  return (route) => {
    let serialize: ((data: unknown) => unknown) | undefined;
    return (data) => (serialize ??= compile(route))(data);
  };
}

/** Fastify's `schemaController` option; each app gets compilers (and an ajv) of its own, as by default. */
export function lazySchemaCompilers(): NonNullable<FastifyServerOptions['schemaController']> {
  const buildValidator = ajvCompiler();
  const buildSerializer = serializerCompiler();
  return {
    compilersFactory: {
      buildValidator: ((schemas: unknown, options: unknown) => lazyValidator(buildValidator(schemas, options))) as never,
      buildSerializer: ((schemas: unknown, options: unknown) => lazySerializer(buildSerializer(schemas, options))) as never,
    },
  };
}
