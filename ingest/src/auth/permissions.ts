/**
 * Who may do what: four roles, each a superset of the one before, and the permission every
 * `/api/v1` route declares (`config: { permission }`). 'public' routes need no bearer token.
 */
export const ROLES = ['viewer', 'technician', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Each permission with the least role holding it. */
export const PERMISSION_ROLE = {
  'stations:read': 'viewer',
  'alerts:read': 'viewer',
  'rules:read': 'viewer',
  'subscriptions:read': 'viewer',
  'webhook-deliveries:read': 'viewer',
  'commands:read': 'viewer',
  'audit:read': 'viewer',
  'stations:register': 'technician',
  'stations:credentials': 'technician',
  'stations:config': 'technician',
  'dead-letters:read': 'technician',
  'alerts:ack': 'operator',
  'rules:write': 'operator',
  'subscriptions:write': 'operator',
  'commands:send': 'operator',
  'stations:delete': 'admin',
  'tokens:manage': 'admin',
  'lockouts:lift': 'admin',
  'users:manage': 'admin',
  'profiles:write': 'admin',
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof PERMISSION_ROLE;
/** What a route declares: a permission, or 'public' (no bearer token: schemas, gateway provisioning). */
export type RoutePermission = Permission | 'public';

export const PERMISSIONS = Object.keys(PERMISSION_ROLE) as Permission[];

export function isRoutePermission(v: unknown): v is RoutePermission {
  return v === 'public' || (typeof v === 'string' && Object.hasOwn(PERMISSION_ROLE, v));
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(PERMISSION_ROLE[permission]);
}
