/**
 * Who is calling: the bootstrap admin (the configured admin token) or an API token, with a
 * role and a department scope — '*' (the emergency centre, 应急管理局: everything) or a list.
 */
import type { Role } from './permissions.ts';

/** Department codes as stations, rules and subscriptions spell them. */
export const DEPARTMENT_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;

export type DepartmentScope = '*' | readonly string[];

export interface Principal {
  /** Token id, or 'admin' for the bootstrap admin token. */
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly departments: DepartmentScope;
}

export const BOOTSTRAP_ADMIN: Principal = { id: 'admin', name: 'admin', role: 'admin', departments: '*' };

export function coversDepartment(p: Principal, department: string): boolean {
  return p.departments === '*' || p.departments.includes(department);
}

/**
 * Whether everything that belongs to `departments` is inside the principal's scope. Something
 * that names no department (undefined or empty) is global: only '*' covers it.
 */
export function coversAll(p: Principal, departments: readonly string[] | undefined): boolean {
  if (p.departments === '*') return true;
  if (!departments || departments.length === 0) return false;
  return departments.every((d) => coversDepartment(p, d));
}

/** The departments a list is filtered to; undefined = no filter ('*'). */
export function departmentFilter(p: Principal): readonly string[] | undefined {
  return p.departments === '*' ? undefined : p.departments;
}
