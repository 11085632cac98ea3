export { buildWebApp, ensureWebApp, readIndexHtml, WEB_DIST, WEB_ROOT } from './build-web-app.ts';
export { boundariesGeoJson } from './boundaries.ts';
