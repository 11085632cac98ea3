/** A monitoring station as the registry keeps it; one station is one MQTT device. */
import * as z from 'zod';
import { DOMAINS } from './domain-ids.ts';
import { DEVICE_ID_PATTERN } from './topics.ts';
import { PROFILE_ID_PATTERN } from './catalogue/catalogue-schema.ts';
import { plainNameSchema } from './plain-text.ts';

export const StationInputSchema = z
  .object({
    id: z.string().regex(DEVICE_ID_PATTERN, 'letters, digits, _ . - (1–64, starting with a letter or digit)'),
    name: plainNameSchema(100),
    domain: z.enum(DOMAINS),
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    /** 行政区划代码 (GB/T 2260), 6 digits, or 9/12 for township/village. */
    region: z.string().regex(/^\d{6}(\d{3}(\d{3})?)?$/, '6, 9 or 12 digit administrative region code (GB/T 2260)'),
    /** Owning department, e.g. `eco-env` (生态环境局), `water` (水利局). */
    department: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lowercase department code, 2–32 characters'),
    /**
     * Catalogue profile of the station (docs/catalogue.md): a built-in one (`flue-gas-cems`,
     * `landslide-gnss` …) or one an admin added. Default: the domain's own profile (its id is
     * the domain's), which accepts every metric of the domain.
     */
    profile: z.string().regex(PROFILE_ID_PATTERN, 'a profile id such as flue-gas-cems').optional(),
    /** Free per-station settings (water body type, reservoir levels, expected interval …). */
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /**
     * Device id of the edge gateway allowed to publish this station's readings (a child station:
     * an RTU or data logger behind a gateway, with no MQTT connection of its own). Same
     * department as the gateway. Default none: the station publishes only for itself.
     */
    gatewayId: z.string().regex(DEVICE_ID_PATTERN, 'a device id').optional(),
  })
  .strict();

/** What `PATCH /api/v1/stations/{id}` may change: id, domain and department stay; `gatewayId: null` detaches a child. */
export const StationUpdateSchema = StationInputSchema.omit({ id: true, domain: true, department: true, gatewayId: true })
  .partial()
  .extend({ gatewayId: z.string().regex(DEVICE_ID_PATTERN, 'a device id').nullable().optional() })
  .strict();

export type StationUpdate = z.output<typeof StationUpdateSchema>;

export type StationInput = z.output<typeof StationInputSchema>;

export interface Station extends StationInput {
  readonly createdAt: string;
}
