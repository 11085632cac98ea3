/**
 * POST /api/v1/lockouts/lift {address, deviceId?} (admin, `*` scope): lifts the brute-force
 * lockouts of an address at once instead of waiting `authLockoutMs` — the API lock of that
 * client address, the MQTT lock of the address, and with `deviceId` the device's lock from that
 * address (a gateway locked out after a secret mix-up on site). Audited like every POST; the
 * answer says what was locked.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { SharedLockout } from '@shanshui/broker';
import type { ApiPlugin } from './api-plugin.ts';
import { addAuditNote, requireScope } from './request-auth.ts';

const LiftBody = z
  .object({
    address: z.string().refine((a) => isIP(a) !== 0, 'an IPv4 or IPv6 address, as the lockout warning in the log names it'),
    deviceId: z.string().min(1).max(64).optional().describe('also lift this device’s MQTT lock from that address'),
  })
  .strict();

export interface LockoutRouteOptions {
  readonly apiLockout: SharedLockout;
  readonly liftMqttLockout?: (target: { readonly address: string; readonly deviceId?: string }) => Promise<number>;
}

export const lockoutRoutes: ApiPlugin<LockoutRouteOptions> = async (app, deps) => {
  app.post(
    '/api/v1/lockouts/lift',
    {
      config: { permission: 'lockouts:lift' },
      schema: {
        tags: ['tokens'],
        summary: 'Lift the brute-force lockouts of a client address (API and MQTT), and of a device from it',
        body: LiftBody,
        response: { 200: z.object({ lifted: z.object({ api: z.boolean().describe('the API lock of the address was on'), mqtt: z.number().int().describe('MQTT locks that were on (address, device from address)') }).strict() }).strict() },
      },
    },
    async (req) => {
      const body = req.body;
      // An address belongs to no department: only `*` admins lift its locks.
      requireScope(req, undefined, 'a lockout');
      const api = await deps.apiLockout.lift(body.address);
      const mqtt = deps.liftMqttLockout ? await deps.liftMqttLockout(body) : 0;
      addAuditNote(req, { target: body.deviceId ? `${body.deviceId}@${body.address}` : body.address, summary: { address: body.address, ...(body.deviceId ? { deviceId: body.deviceId } : {}), api, mqtt } });
      req.log.warn({ address: body.address, deviceId: body.deviceId, api, mqtt }, 'lockout lifted by an operator');
      return { lifted: { api, mqtt } };
    },
  );
};
