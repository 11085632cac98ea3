/**
 * /api/v1/catalogue and /api/v1/profiles: the sensor catalogue (domains, metrics, units, HJ 212
 * codes) and the station profiles — built-in ones and those an admin adds or extends without a
 * release (docs/catalogue.md). A profile is validated by the same zod schema as the shipped data
 * files and against its domain and parent; every change is audited (the API's audit log) and in
 * force for the next reading.
 */
import { z } from 'zod';
import { CATALOGUE, MetricDefSchema, ProfileAttributeSchema, ProfileSchema } from '@shanshui/models';
import type { ApiPlugin } from './api-plugin.ts';
import { HttpError } from './http-error.ts';
import { actorOf, addAuditNote, requireScope } from './request-auth.ts';
import { IdParams } from './common-schemas.ts';
import { ProfileRefusal } from '../catalogue/profile-catalogue.ts';
import type { ProfileCatalogue } from '../catalogue/profile-catalogue.ts';

const ProfileView = ProfileSchema.safeExtend({
  builtin: z.boolean().describe('shipped with the platform (read-only) or added through the API'),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
}).describe('A station profile');

const ResolvedView = z
  .object({
    domain: z.string(),
    metrics: z.array(MetricDefSchema).describe('every metric a station of the profile may send (and their _min/_max/_cou/_zs statistics fields)'),
    attributes: z.array(ProfileAttributeSchema),
  })
  .strict();

const CatalogueView = z.object({ version: z.string(), domains: z.array(z.unknown()), common: z.array(z.unknown()) }).strict();

const NOT_FOUND = { 404: 'No such profile (API_ERR_NOT_FOUND)' };
export interface ProfileRouteOptions {
  readonly profiles: ProfileCatalogue;
}

export const profileRoutes: ApiPlugin<ProfileRouteOptions> = async (app, deps) => {
  const view = (e: ReturnType<ProfileCatalogue['all']>[number]) => ({ ...e.profile, builtin: e.builtin, ...(e.updatedAt ? { updatedAt: e.updatedAt, updatedBy: e.updatedBy } : {}) });

  app.get(
    '/api/v1/catalogue',
    {
      config: { permission: 'stations:read' },
      schema: { tags: ['catalogue'], summary: 'The sensor catalogue: domains, their metrics (names, units, precision, plausible ranges, HJ 212 codes, SL 651 elements) and classifications', response: { 200: CatalogueView } },
    },
    async () => CATALOGUE as z.output<typeof CatalogueView>,
  );

  app.get('/api/v1/profiles', {
    config: { permission: 'stations:read' },
    schema: { tags: ['catalogue'], summary: 'Station profiles, built-in and custom (the whole list: not paged)', response: { 200: z.object({ items: z.array(ProfileView), total: z.number().int() }).strict() } },
  }, async () => {
    const items = deps.profiles.all().map(view);
    return { items, total: items.length };
  });

  app.get('/api/v1/profiles/:id', {
    config: { permission: 'stations:read', errors: NOT_FOUND },
    schema: { tags: ['catalogue'], summary: 'One profile with its resolved metrics and attributes', params: IdParams, response: { 200: z.object({ profile: ProfileView, resolved: ResolvedView }).strict() } },
  }, async (req) => {
    const { id } = req.params;
    const entry = deps.profiles.all().find((e) => e.profile.id === id);
    const resolved = entry && deps.profiles.resolve(id);
    if (!entry || !resolved) throw new HttpError('API_ERR_NOT_FOUND', `no profile ${id}`);
    return { profile: view(entry), resolved: { domain: resolved.domain, metrics: Object.values(resolved.metrics), attributes: resolved.attributes } };
  });

  app.put('/api/v1/profiles/:id', {
    config: { permission: 'profiles:write', errors: { 403: "Profiles are city-wide: a token scoped to every department ('*') changes them (API_ERR_OUT_OF_SCOPE)", 409: 'A built-in profile has this id (API_ERR_EXISTS)' } },
    schema: {
      tags: ['catalogue'],
      summary: 'Add or replace a custom profile (a built-in one is extended with `extends`); in force for the next reading',
      params: IdParams,
      body: ProfileSchema,
      response: { 200: z.object({ profile: ProfileView }).strict() },
    },
  }, async (req) => {
    const { id } = req.params;
    // Profiles are city-wide (a department's stations may use another's): changing one needs scope '*'.
    requireScope(req, undefined, 'changing a station profile');
    const input = req.body;
    if (input.id !== id) throw new HttpError('API_ERR_VALIDATION', `invalid profile: id: ${input.id} does not match the path (${id})`, { field: 'id' });
    try {
      const stored = await deps.profiles.put(input, actorOf(req));
      addAuditNote(req, { target: id });
      return { profile: { ...stored.profile, builtin: false, updatedAt: stored.updatedAt, updatedBy: stored.updatedBy } };
    } catch (err) {
      if (err instanceof ProfileRefusal) throw new HttpError(err.code, `invalid profile: ${err.message}`, { cause: err });
      throw err;
    }
  });
};
