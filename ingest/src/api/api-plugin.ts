/**
 * The type of a route plugin of the API: fastify-type-provider-zod's provider, with answers
 * typed as deep-readonly views of the response schemas' output, so a handler may answer with
 * the stores' readonly arrays and records as they are.
 */
import type { FastifyPluginAsync, FastifyPluginOptions, FastifyTypeProvider, RawServerDefault } from 'fastify';
import type { $ZodType, output } from 'zod/v4/core';

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends Date ? T : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export interface ApiTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends $ZodType ? output<this['schema']> : unknown;
  serializer: this['schema'] extends $ZodType ? DeepReadonly<output<this['schema']>> : unknown;
}

/** A route group: `app.register(plugin, options)` with only what its routes use as options. */
export type ApiPlugin<Options extends FastifyPluginOptions = Record<never, never>> = FastifyPluginAsync<Options, RawServerDefault, ApiTypeProvider>;
