/**
 * `npm run build -w web`: builds the web app of the current sources into web/dist/<hash> now
 * (the platform also does at start when there is none). SHANSHUI_WEB_BOUNDARIES and an output
 * folder as argument build a variant elsewhere: `node web/build/main.ts /srv/web`.
 */
import { buildWebApp, ensureWebApp } from './build-web-app.ts';

const boundaries = process.env['SHANSHUI_WEB_BOUNDARIES'];
const out = process.argv[2];
if (out === '--help' || out === '-h') {
  process.stdout.write(
    'usage: npm run build -w web              builds web/dist/<hash> from the current sources (the platform also does at start)\n' +
      '       SHANSHUI_WEB_BOUNDARIES=guang3_dong1_guang3_zhou1 node web/build/main.ts DIR   a variant with the 区/县 of the named cities, into DIR\n',
  );
  process.exit(0);
}
if (out?.startsWith('-')) {
  process.stderr.write(`unknown option ${out} (--help shows the usage)\n`);
  process.exit(2);
}
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
