/**
 * For webhook end-to-end files: one TestPlatform started before the file's tests (fast webhook
 * retries unless `overrides` say otherwise), real signed-webhook receivers started on demand,
 * and all of them closed after the tests.
 */
import { afterAll, beforeAll } from 'vitest';
import type { ConfigInput } from '@shanshui/ingest';
import { startTestPlatform } from './test-platform.ts';
import type { TestPlatform } from './test-platform.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';
import type { WebhookReceiver } from './webhook-receiver.ts';

export interface WebhookTestPlatform {
  readonly tp: TestPlatform;
  /** A receiver verifying `secret` (default the file's), closed after the tests. */
  receiver(options?: Parameters<typeof startWebhookReceiver>[1], secret?: string): Promise<WebhookReceiver>;
}

export function useWebhookTestPlatform(secret: string, overrides: ConfigInput = {}): WebhookTestPlatform {
  let tp: TestPlatform | undefined;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    tp = await startTestPlatform({ defaultRules: false, webhookBackoffBaseMs: 50, webhookBackoffMaxMs: 200, ...overrides });
  });
  afterAll(async () => {
    await tp?.close();
    for (const r of receivers) await r.close();
  });
  return {
    get tp(): TestPlatform {
      if (!tp) throw new Error('the platform starts in beforeAll');
      return tp;
    },
    async receiver(options = {}, receiverSecret = secret) {
      const r = await startWebhookReceiver(receiverSecret, options);
      receivers.push(r);
      return r;
    },
  };
}
