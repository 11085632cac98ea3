/** GET /api/v1/schema/readings.json (public): the JSON Schema of the readings envelope devices publish, for device makers. */
import type { ApiPlugin } from './api-plugin.ts';
import { readingsJsonSchema } from '@shanshui/models';
import { JsonSchemaDocumentSchema } from './response-schemas.ts';

export const schemaRoutes: ApiPlugin = async (app) => {
  app.get(
    '/api/v1/schema/readings.json',
    { config: { permission: 'public' }, schema: { tags: ['platform'], summary: 'JSON Schema of the readings envelope devices publish (for device makers)', response: { 200: JsonSchemaDocumentSchema } } },
    async () => readingsJsonSchema(),
  );
};
