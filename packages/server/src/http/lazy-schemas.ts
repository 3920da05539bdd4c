/**
 * Route schemas compiled on first use instead of at start-up. Fastify compiles every route's
 * validators (Ajv) and response serializers (fast-json-stringify) while the app boots; with
 * some 150 routes that was most of the in-process part of `npm start` (bench/startup). These
 * factories wrap the very compilers Fastify would use (its own @fastify/ajv-compiler and
 * @fastify/fast-json-stringify-compiler, resolved from Fastify's install) so that each route's
 * function is built the first time a request needs it, and `compileAll` builds the rest in the
 * background a little after the server listens (so a schema error still surfaces in the log,
 * and at the route's first use).
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type RouteSchema = { schema: unknown; method: string; url: string; httpPart?: string; httpStatus?: string; contentType?: string };
type Compiled = ((data: unknown) => unknown) & { errors?: unknown };
type Factory = (externalSchemas: unknown, options: unknown) => (route: RouteSchema) => Compiled;

const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

/** Pending compilations of one app, in registration order. */
export class LazySchemas {
  private readonly pending = new Set<() => void>();

  /** Compiles everything not compiled yet, a few routes per macrotask so requests interleave. Errors go to `onError`. */
  async compileAll(onError: (e: unknown) => void, perTick = 4): Promise<void> {
    while (this.pending.size) {
      let n = 0;
      for (const c of this.pending) {
        try {
          c();
        } catch (e) {
          onError(e);
        }
        if (++n >= perTick) break;
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  /** `load` gives the compiler factory; it is called, and its compiler made, at the first compilation only. */
  private wrap(load: () => Factory): Factory {
    return (externalSchemas, options) => {
      let compile: ((route: RouteSchema) => Compiled) | undefined;
      return (route) => {
        let fn: Compiled | undefined;
        const build = () => {
          this.pending.delete(build);
          return (fn ??= (compile ??= load()(externalSchemas, options))(route));
        };
        this.pending.add(build);
        const run = ((data: unknown) => (fn ?? build())(data)) as Compiled;
        // Fastify reads a failed validation's errors from the function it called.
        Object.defineProperty(run, 'errors', { get: () => fn?.errors });
        return run;
      };
    };
  }

  /** Fastify's `schemaController` option using the lazy compilers. */
  schemaController(): NonNullable<FastifyServerOptions['schemaController']> {
    // One factory per app, as Fastify's defaults (they pool compilers by their options).
    let ajv: Factory | undefined;
    let fjs: Factory | undefined;
    const validators = () => (ajv ??= (fromFastify('@fastify/ajv-compiler') as () => Factory)());
    const serializers = () => (fjs ??= (fromFastify('@fastify/fast-json-stringify-compiler') as () => Factory)());
    return { compilersFactory: { buildValidator: this.wrap(validators), buildSerializer: this.wrap(serializers) } } as NonNullable<FastifyServerOptions['schemaController']>;
  }
}
