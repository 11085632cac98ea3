/**
 * Options of one component, validated at construction against its zod schema (which holds its
 * defaults — the one place they live). A bad value fails loudly with the component and key
 * named: `DeliveryWorker.timeoutMs: Too small: expected number to be >=1`.
 */
import type { z } from 'zod';
import { IngestError } from './errors.ts';

export function parseComponentOptions<S extends z.ZodType>(component: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new IngestError('INGEST_ERR_CONFIG', `${component}.${issue.path.join('.') || '(options)'}: ${issue.message}`);
}
