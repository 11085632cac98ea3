/**
 * `npm run build -w web`: builds the web app of the current sources into web/dist/<hash> now
 * (the platform also does at start when there is none). SHANSHUI_WEB_BOUNDARIES and an output
 * folder as argument build a variant elsewhere: `node web/build/main.ts /srv/web`.
 */
import { buildWebApp, ensureWebApp } from './build-web-app.ts';

const boundaries = process.env['SHANSHUI_WEB_BOUNDARIES'];
const out = process.argv[2];
if (out) {
  const files = await buildWebApp(out, boundaries ? { boundaries } : {});
  process.stdout.write(`${out}: ${files.join(', ')}\n`);
} else if (boundaries) {
  process.stderr.write('SHANSHUI_WEB_BOUNDARIES builds a variant: name its folder (node web/build/main.ts /srv/web)\n');
  process.exit(2);
} else {
  const { dir, built } = await ensureWebApp();
  process.stdout.write(`${dir}${built ? '' : ' (already built)'}\n`);
}
