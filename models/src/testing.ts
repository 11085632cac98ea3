/** What other packages' tests reuse (`@shanshui/models/testing`): a seeded random generator for fuzz and differential tests. */
export { seededRandom } from './seeded-random.ts';
