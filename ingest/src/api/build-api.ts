/**
 * The HTTP API (fastify): `/healthz`, `/metrics`, the readings JSON Schema, and `/api/v1/…`
 * behind bearer tokens with roles and department scopes (request-auth.ts), every change
 * audited. Route groups are fastify plugins, each given only what it uses; their zod schemas
 * validate requests and type the handlers (fastify-type-provider-zod) and make the OpenAPI
 * document at `/api/v1/openapi.json` (@fastify/swagger, route-doc.ts). Built here, listened in
 * platform.ts (build/listen split: routes are tested through `inject()`).
 */
import { healthRoutes } from './health-routes.ts';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyPluginCallback, FastifyPluginOptions, FastifyTypeProvider, RawServerDefault } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { PlatformStore } from '../state/platform-store.ts';
import type { PresenceStore } from '../state/presence-store.ts';
import type { StationRegistry } from '../state/station-registry.ts';
import type { SequenceTracker } from '../accept/sequence-tracker.ts';
import type { PlatformMetrics } from '../metrics.ts';
import { logRequests } from './log-requests.ts';
import { lockoutRoutes } from './lockout-routes.ts';
import type { InfluxQuerier } from '../store/readings-query.ts';
import { HttpError } from './http-error.ts';
import { apiErrorHandler } from './api-error-handler.ts';
import { stationRoutes } from './station-routes.ts';
import { deadLetterRoutes } from './dead-letter-routes.ts';
import { provisioningRoutes } from './provisioning-routes.ts';
import type { ProvisioningStore } from '../state/provisioning-store.ts';
import type { AgentConfig } from '@shanshui/models';
import type { SharedLockout, SharedRateLimit } from '@shanshui/broker';
import type { ApiTokenStore } from '../auth/api-token-store.ts';
import type { AuditLog } from '../auth/audit-log.ts';
import { installAuth } from './request-auth.ts';
import { tokenRoutes } from './token-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { installRouteDocs } from './route-doc.ts';
import { docsRoutes } from './docs-routes.ts';
import { schemaRoutes } from './schema-routes.ts';
import { refuseReplacedPaging } from './paging.ts';
import type { UserStore } from '../auth/user-store.ts';
import { userRoutes } from './user-routes.ts';
import { sessionRoutes } from './session-routes.ts';
import { PLATFORM_VERSION } from '../version.ts';
import type { ProfileCatalogue } from '../catalogue/profile-catalogue.ts';

export interface ApiDeps {
  readonly logger: Logger;
  readonly store: PlatformStore;
  /** Presence as the API reads it (the platform's read-your-writes view); default the store's. */
  readonly presence?: PresenceStore;
  readonly registry: StationRegistry;
  readonly sequences: SequenceTracker;
  readonly metrics: PlatformMetrics;
  /** The bootstrap super-admin token (scope '*'). */
  readonly apiToken: string;
  readonly tokens: ApiTokenStore;
  readonly audit: AuditLog;
  /** Bad bearer tokens per client address. */
  readonly authLockout: SharedLockout;
  /** Lifts MQTT lockouts (the broker's); absent with an external broker. */
  readonly liftMqttLockout?: (target: { readonly address: string; readonly deviceId?: string }) => Promise<number>;
  /** Provisioning attempts per client address (0.5/s, burst 10); shared by every node with a Redis link. Default: this process's own. */
  readonly provisioningLimit?: SharedRateLimit;
  /** People who sign in to the web app (session cookie); /api/v1/users and /app/session. */
  readonly users?: UserStore;
  /** Readiness for /readyz and /healthz (`ok` false → 503); /livez needs nothing. */
  readonly health: () => Promise<{ ok: boolean; [k: string]: unknown }>;
  readonly mqttEndpoints: () => Record<string, string>;
  /** More route groups to register (warnings: alerts, rules, subscriptions, webhook deliveries). */
  readonly routes?: readonly RouteGroup[];
  readonly provisioning: ProvisioningStore;
  /** Devices connect to an external broker (no live gateway ACL): child stations are refused. */
  readonly externalBroker?: boolean;
  /** InfluxDB, for what agents reported (config applied or rejected). */
  readonly influx?: InfluxQuerier;
  /** Publishes an agent config retained on the station's down/config. */
  readonly publishConfig: (stationId: string, config: AgentConfig) => Promise<void>;
  /** Station profiles in force (the catalogue's and custom ones): stations naming a profile are checked against it. Default: no check. */
  readonly profiles?: ProfileCatalogue;
  /** fastify `trustProxy`: whose X-Forwarded-For/-Proto make `req.ip` / `req.protocol`. Default false. */
  readonly trustProxy?: boolean | readonly string[];
}

/** A route plugin with its options, registered in order by buildApi (`routeGroup(alertRoutes, { alerts, … })`). */
export interface RouteGroup {
  register(app: FastifyInstance): void;
}

/** A route plugin and the narrow options it takes, typed together. */
export function routeGroup<O extends FastifyPluginOptions, T extends FastifyTypeProvider>(plugin: FastifyPluginAsync<O, RawServerDefault, T> | FastifyPluginCallback<O, RawServerDefault, T>, options: O): RouteGroup {
  return {
    register: (app) => {
      void app.register(plugin, options);
    },
  };
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    // One line per request (logRequests below) instead of fastify's "incoming request" + "request completed".
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: typeof deps.trustProxy === 'object' ? [...deps.trustProxy] : (deps.trustProxy ?? false),
  });
  // Requests are validated, and answers serialized, by the routes' zod schemas (fastify-type-provider-zod).
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(apiErrorHandler);
  app.setNotFoundHandler((req, reply) => {
    const err = new HttpError('API_ERR_NOT_FOUND', `no route ${req.method} ${req.url}`);
    return reply.code(err.status).send(err.body());
  });

  logRequests(app);
  healthRoutes({ ready: deps.health, startedAt: Date.now() })(app);
  app.get('/metrics', async (_req, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
  installAuth(app, { logger: deps.logger, apiToken: deps.apiToken, tokens: deps.tokens, audit: deps.audit, lockout: deps.authLockout, metrics: deps.metrics, ...(deps.users ? { users: deps.users } : {}) });
  installRouteDocs(app);
  refuseReplacedPaging(app);

  // @fastify/swagger first: it sees every route registered after it.
  const apiInfo = { title: 'Shanshui 山水 platform API', version: PLATFORM_VERSION, description: 'Stations, readings, alerts, rules, webhook subscriptions, commands and audit of the Shanshui monitoring and warning platform. Errors: { error: { code, message, field? } } (codes: docs/api-errors.md). Lists page with `cursor` = the previous answer\'s `next`.' };
  const groups: RouteGroup[] = [
    routeGroup(docsRoutes, { info: apiInfo }),
    routeGroup(schemaRoutes, {}),
    routeGroup(tokenRoutes, { tokens: deps.tokens }),
    ...(deps.users ? [routeGroup(userRoutes, { users: deps.users }), routeGroup(sessionRoutes, { users: deps.users, lockout: deps.authLockout, metrics: deps.metrics, logger: deps.logger })] : []),
    routeGroup(auditRoutes, { audit: deps.audit }),
    routeGroup(lockoutRoutes, { apiLockout: deps.authLockout, ...(deps.liftMqttLockout ? { liftMqttLockout: deps.liftMqttLockout } : {}) }),
    routeGroup(stationRoutes, {
      logger: deps.logger,
      stations: deps.store.stations,
      presence: deps.presence ?? deps.store.presence,
      registry: deps.registry,
      sequences: deps.sequences,
      provisioning: deps.provisioning,
      mqttEndpoints: deps.mqttEndpoints,
      ...(deps.externalBroker !== undefined ? { externalBroker: deps.externalBroker } : {}),
      ...(deps.profiles ? { profiles: deps.profiles } : {}),
    }),
    routeGroup(deadLetterRoutes, { deadLetters: deps.store.deadLetters }),
    ...(deps.routes ?? []),
    routeGroup(provisioningRoutes, {
      logger: deps.logger,
      registry: deps.registry,
      provisioning: deps.provisioning,
      mqttEndpoints: deps.mqttEndpoints,
      publishConfig: deps.publishConfig,
      ...(deps.influx ? { influx: deps.influx } : {}),
      ...(deps.provisioningLimit ? { provisioningLimit: deps.provisioningLimit } : {}),
    }),
  ];
  for (const group of groups) group.register(app);
  return app;
}
