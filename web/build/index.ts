export { buildWebApp, ensureWebApp, readIndexHtml, WEB_DIST, WEB_ROOT } from './build-web-app.ts';
export { boundariesGeoJson } from './boundaries.ts';
export { CHINA_BOUNDARIES_FILE } from './china-boundaries-types.ts';
export type { BoundaryFeature, BoundaryProperties, ChinaBoundaries } from './china-boundaries-types.ts';
export { PROVINCE_OF_PREFIX } from './china-provinces.ts';
