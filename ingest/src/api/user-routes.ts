/**
 * /api/v1/users: people who sign in to the 一张图 web app (admin only), with a role and a
 * department scope exactly like API tokens.
 *   POST   {name, displayName?, password, role, departments} → 201 (the password is never shown again)
 *   GET    ?limit=&cursor= → users inside the caller's scope (never a password hash)
 *   PATCH  /{id} {displayName?, password?, role?, departments?, disabled?} → 200; a new password,
 *          role or scope, or disabling, signs the user out everywhere
 *   DELETE /{id} → 204
 * A department-scoped admin manages only users inside its own departments.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ROLES } from '../auth/permissions.ts';
import { DEPARTMENT_PATTERN } from '../auth/principal.ts';
import type { User, UserStore } from '../auth/user-store.ts';
import type { ApiPlugin } from './api-plugin.ts';
import { HttpError } from './http-error.ts';
import { actorOf, addAuditNote, inScope, requireScope } from './request-auth.ts';
import { IdParams } from './common-schemas.ts';
import { NextSchema, offsetPage, offsetPaging } from './paging.ts';

export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

const LIST = 'users';
const Departments = z.union([z.literal('*'), z.array(z.string().regex(DEPARTMENT_PATTERN, 'lowercase department code')).min(1).max(100)]);
/** 12+ characters: a passphrase beats a complex short password, and the lockout stops online guessing. */
const Password = z.string().min(12, 'at least 12 characters').max(256);

const CreateBody = z
  .object({
    name: z.string().regex(USER_NAME_PATTERN, 'lowercase letters, digits, . _ - (2–64)'),
    displayName: z.string().trim().min(1).max(100).optional(),
    password: Password,
    role: z.enum(ROLES),
    departments: Departments,
  })
  .strict();
const UpdateBody = z
  .object({ displayName: z.string().trim().min(1).max(100).optional(), password: Password.optional(), role: z.enum(ROLES).optional(), departments: Departments.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
const ListQuery = z.object({ ...offsetPaging(LIST) }).strict();

const IsoTime = z.string().describe('ISO 8601 time (UTC)');
export const UserSchema = z
  .object({
    name: z.string(),
    displayName: z.string(),
    role: z.enum(ROLES),
    departments: z.union([z.literal('*'), z.array(z.string())]),
    createdAt: IsoTime,
    createdBy: z.string(),
    disabledAt: IsoTime.nullable(),
    lastSignInAt: IsoTime.nullable(),
  })
  .strict();

const NOT_FOUND = { 404: 'No such user in scope (API_ERR_NOT_FOUND)' };
const deptsOf = (d: '*' | readonly string[]): readonly string[] | undefined => (d === '*' ? undefined : d);

export interface UserRouteOptions {
  readonly users: UserStore;
}

export const userRoutes: ApiPlugin<UserRouteOptions> = async (app, { users }) => {
  const visible = async (req: FastifyRequest, name: string): Promise<User> => {
    const user = await users.get(name);
    if (!user || !inScope(req, deptsOf(user.departments))) throw new HttpError('API_ERR_NOT_FOUND', `no user ${name}`);
    return user;
  };

  app.post(
    '/api/v1/users',
    {
      config: { permission: 'users:manage', errors: { 409: 'The name is taken (API_ERR_CONFLICT)' } },
      schema: { tags: ['users'], summary: 'Create a person who signs in to the web app, with a role and a department scope (password kept as a scrypt hash)', body: CreateBody, response: { 201: UserSchema } },
    },
    async (req, reply) => {
      const body = req.body;
      requireScope(req, deptsOf(body.departments), 'a user');
      const departments = body.departments === '*' ? '*' : [...new Set(body.departments)];
      const user = await users.create({ name: body.name, displayName: body.displayName ?? body.name, password: body.password, role: body.role, departments, createdBy: actorOf(req) });
      if (!user) throw new HttpError('API_ERR_CONFLICT', `user ${body.name} exists`);
      addAuditNote(req, { target: user.name, summary: { name: user.name, displayName: user.displayName, role: user.role, departments: user.departments } });
      return reply.code(201).send(user);
    },
  );

  app.get(
    '/api/v1/users',
    {
      config: { permission: 'users:manage' },
      schema: { tags: ['users'], summary: "Users inside the caller's scope", querystring: ListQuery, response: { 200: z.object({ items: z.array(UserSchema), total: z.number().int(), next: NextSchema }).strict() } },
    },
    async (req) => offsetPage(LIST, (await users.list()).filter((u) => inScope(req, deptsOf(u.departments))), req.query),
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: { permission: 'users:manage', errors: NOT_FOUND },
      schema: { tags: ['users'], summary: 'Change a user (a new password, role or scope, or disabling, signs the user out everywhere)', params: IdParams, body: UpdateBody, response: { 200: UserSchema } },
    },
    async (req) => {
      const { id } = req.params;
      const body = req.body;
      await visible(req, id);
      if (body.departments !== undefined) requireScope(req, deptsOf(body.departments), 'a user');
      const user = await users.update(id, body);
      if (!user) throw new HttpError('API_ERR_NOT_FOUND', `no user ${id}`);
      const { password, ...rest } = body;
      addAuditNote(req, { summary: { ...rest, ...(password !== undefined ? { password: 'changed' } : {}) } });
      return user;
    },
  );

  app.delete(
    '/api/v1/users/:id',
    { config: { permission: 'users:manage', errors: NOT_FOUND }, schema: { tags: ['users'], summary: 'Delete a user and end its sessions', params: IdParams, response: { 204: z.null() } } },
    async (req, reply) => {
      const { id } = req.params;
      const user = await visible(req, id);
      await users.remove(id);
      addAuditNote(req, { summary: { name: user.name, role: user.role, deleted: true } });
      return reply.code(204).send(null);
    },
  );
};
