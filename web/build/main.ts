/** `npm run build -w web`: builds web/dist now (the platform also rebuilds it at start when a source changed). */
import { buildWebApp } from './build-web-app.ts';

const boundaries = process.env['SHANSHUI_WEB_BOUNDARIES'];
const files = await buildWebApp(undefined, boundaries ? { boundaries } : {});
process.stdout.write(`web/dist: ${files.join(', ')}\n`);
