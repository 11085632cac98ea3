/** What other packages' tests reuse (`@shanshui/ingest/testing`): contract suites to run against their own backends. */
export { platformStoreContract } from './state/store-contract.ts';
export type { StoreTestDatabase } from './state/store-contract.ts';
export { deliveryHandoverContract } from './state/delivery-handover-contract.ts';
export type { HandoverTestDatabase } from './state/delivery-handover-contract.ts';
