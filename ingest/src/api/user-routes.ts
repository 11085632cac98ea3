/**
 * /api/v1/users: people who sign in to the 一张图 web app (admin only), with a role and a
 * department scope exactly like API tokens.
 *   POST   {name, displayName?, password, role, departments} → 201 (the password is never shown again)
 *   GET    → users inside the caller's scope (never a password hash)
 *   PATCH  /{id} {displayName?, password?, role?, departments?, disabled?} → 200; a new password,
 *          role or scope, or disabling, signs the user out everywhere
 *   DELETE /{id} → 204
 * A department-scoped admin manages only users inside its own departments.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ROLES } from '../auth/permissions.ts';
import { DEPARTMENT_PATTERN } from '../auth/principal.ts';
import type { User, UserStore } from '../auth/user-store.ts';
import { HttpError, parseOr400 } from './http-error.ts';
import { actorOf, addAuditNote, inScope, requireScope } from './request-auth.ts';
import type { RouteDoc } from './route-doc.ts';
import { IdParams, PAGE_FIELDS } from './common-schemas.ts';

export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

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
const ListQuery = z.object({ ...PAGE_FIELDS }).strict();

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
const DOCS = {
  create: {
    tag: 'users',
    summary: 'Create a person who signs in to the web app, with a role and a department scope (password kept as a scrypt hash)',
    body: CreateBody,
    responses: { 201: UserSchema },
    errors: { 409: 'The name is taken (API_ERR_CONFLICT)' },
  },
  list: { tag: 'users', summary: "Users inside the caller's scope", query: ListQuery, responses: { 200: z.object({ items: z.array(UserSchema), total: z.number().int() }).strict() } },
  update: { tag: 'users', summary: 'Change a user (a new password, role or scope, or disabling, signs the user out everywhere)', params: IdParams, body: UpdateBody, responses: { 200: UserSchema }, errors: NOT_FOUND },
  remove: { tag: 'users', summary: 'Delete a user and end its sessions', params: IdParams, responses: { 204: null }, errors: NOT_FOUND },
} satisfies Record<string, RouteDoc>;

const deptsOf = (d: '*' | readonly string[]): readonly string[] | undefined => (d === '*' ? undefined : d);

export function userRoutes(users: UserStore): (app: FastifyInstance) => void {
  return (app) => {
    const visible = async (req: Parameters<typeof inScope>[0], name: string): Promise<User> => {
      const user = await users.get(name);
      if (!user || !inScope(req, deptsOf(user.departments))) throw new HttpError('API_ERR_NOT_FOUND', `no user ${name}`);
      return user;
    };

    app.post('/api/v1/users', { config: { permission: 'users:manage', doc: DOCS.create } }, async (req, reply) => {
      const body = parseOr400(CreateBody, req.body, 'user');
      requireScope(req, deptsOf(body.departments), 'a user');
      const departments = body.departments === '*' ? '*' : [...new Set(body.departments)];
      const user = await users.create({ name: body.name, displayName: body.displayName ?? body.name, password: body.password, role: body.role, departments, createdBy: actorOf(req) });
      if (!user) throw new HttpError('API_ERR_CONFLICT', `user ${body.name} exists`);
      addAuditNote(req, { target: user.name, summary: { name: user.name, displayName: user.displayName, role: user.role, departments: user.departments } });
      return reply.code(201).send(user);
    });

    app.get('/api/v1/users', { config: { permission: 'users:manage', doc: DOCS.list } }, async (req) => {
      const q = parseOr400(ListQuery, req.query, 'query');
      const all = (await users.list()).filter((u) => inScope(req, deptsOf(u.departments)));
      return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
    });

    app.patch('/api/v1/users/:id', { config: { permission: 'users:manage', doc: DOCS.update } }, async (req) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const body = parseOr400(UpdateBody, req.body, 'user change');
      await visible(req, id);
      if (body.departments !== undefined) requireScope(req, deptsOf(body.departments), 'a user');
      const user = await users.update(id, body);
      if (!user) throw new HttpError('API_ERR_NOT_FOUND', `no user ${id}`);
      const { password, ...rest } = body;
      addAuditNote(req, { summary: { ...rest, ...(password !== undefined ? { password: 'changed' } : {}) } });
      return user;
    });

    app.delete('/api/v1/users/:id', { config: { permission: 'users:manage', doc: DOCS.remove } }, async (req, reply) => {
      const { id } = parseOr400(IdParams, req.params, 'path');
      const user = await visible(req, id);
      await users.remove(id);
      addAuditNote(req, { summary: { name: user.name, role: user.role, deleted: true } });
      return reply.code(204).send();
    });
  };
}
