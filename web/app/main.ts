/**
 * 山水 · 一张图: sign in, then every station the user may see on one map, coloured by its
 * warning level (蓝黄橙红, grey offline), filters, the open warnings list (level, then time),
 * the station panel, acknowledging, and a live stream that turns markers and list without a
 * reload. State lives here; map-view.ts draws, panel.ts shows one station.
 */
import 'maplibre-gl/dist/maplibre-gl.css';
import './styles.css';
import { allPages, api, ApiError } from './api.ts';
import type { Alert, AppConfig, SessionUser, StationFeature } from './api.ts';
import { background, clear, h, report } from './dom.ts';
import { LANG, t } from './i18n.ts';
import { byLevelThenTime, LEVEL_COLOR, LEVEL_LABEL, LEVEL_LABEL_EN, LEVELS, NORMAL_COLOR, OFFLINE_COLOR, RANK } from './levels.ts';
import type { Level } from './levels.ts';
import { MapView } from './map-view.ts';
import type { MarkerPoint } from './map-view.ts';
import { mayAck, StationPanel } from './panel.ts';

const root = document.getElementById('root')!;
const levelLabel = (l: Level): string => (LANG === 'zh' ? LEVEL_LABEL[l] : LEVEL_LABEL_EN[l]);
const fmtTime = (iso: string): string => new Date(iso).toLocaleString(LANG === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
document.title = t('title');

function showSignIn(message?: string): void {
  clear(root);
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'sign-in-error' }, message ?? '');
  const form = h(
    'form',
    { class: 'sign-in', 'data-testid': 'sign-in' },
    h('h1', {}, t('title')),
    h('label', {}, t('username'), user),
    h('label', {}, t('password'), pass),
    h('button', { type: 'submit' }, t('signIn')),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    background((async () => {
      try {
        await api('POST', '/app/session', { username: user.value.trim(), password: pass.value });
        await start();
      } catch (err) {
        error.textContent = `${t('signInFailed')}: ${(err as Error).message}`;
      }
    })());
  });
  root.append(form);
}

interface Filters {
  domain: string;
  department: string;
  region: string;
  level: string;
}

async function start(): Promise<void> {
  let user: SessionUser;
  try {
    user = (await api<{ user: SessionUser }>('GET', '/app/session')).user;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return showSignIn();
    throw err;
  }
  const [config, feed, openAlerts, boundaries] = await Promise.all([
    api<AppConfig>('GET', '/app/config.json'),
    api<{ features: StationFeature[] }>('GET', '/api/v1/map.geojson'),
    allPages<Alert>('/api/v1/alerts?state=active&limit=1000'),
    api<{ features: Array<{ id?: string; properties: { name: string; code: string | null } }> }>('GET', '/assets/boundaries.geojson').catch(() => ({ features: [] })),
  ]);
  const regionName = new Map<string, string>();
  for (const f of boundaries.features) if (f.properties.code) regionName.set(f.properties.code, f.properties.name);

  const stations = new Map<string, StationFeature>(feed.features.map((f) => [f.id, f]));
  const open = new Map<string, Alert>(openAlerts.map((a) => [a.id, a]));
  const filters: Filters = { domain: '', department: '', region: '', level: '' };

  const openOf = (stationId: string): Alert[] => [...open.values()].filter((a) => a.stationId === stationId).sort(byLevelThenTime);
  const offline = (f: StationFeature): boolean => !f.properties.lastSeen || Date.now() - Date.parse(f.properties.lastSeen) > config.offlineAfterMs;
  const rankOf = (f: StationFeature): number => {
    const worst = openOf(f.id)[0];
    if (worst) return RANK[worst.level];
    return offline(f) ? -1 : 0;
  };
  const passes = (f: StationFeature): boolean => {
    const p = f.properties;
    if (filters.domain && p.domain !== filters.domain) return false;
    if (filters.department && p.department !== filters.department) return false;
    if (filters.region && !p.region.startsWith(filters.region)) return false;
    if (filters.level) {
      const r = rankOf(f);
      if (filters.level === 'normal' ? r !== 0 : filters.level === 'offline' ? r !== -1 : r !== RANK[filters.level as Level]) return false;
    }
    return true;
  };

  clear(root);
  const select = (name: keyof Filters, all: string, options: Array<[string, string]>): HTMLSelectElement => {
    const s = h('select', { name, 'data-testid': `filter-${name}`, 'aria-label': all }, h('option', { value: '' }, all), ...options.map(([v, label]) => h('option', { value: v }, label)));
    s.addEventListener('change', () => {
      filters[name] = s.value;
      redraw();
    });
    return s;
  };
  const uniq = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
  const all = [...stations.values()];
  const domains = uniq(all.map((f) => f.properties.domain)).map((d): [string, string] => [d, LANG === 'zh' ? (all.find((f) => f.properties.domain === d)?.properties.domainName ?? d) : d]);
  const departments = uniq(all.map((f) => f.properties.department)).map((d): [string, string] => [d, d]);
  const regions = uniq(all.map((f) => f.properties.region)).map((r): [string, string] => [r, regionName.get(r) ? `${regionName.get(r)} ${r}` : r]);
  const levels: Array<[string, string]> = [...LEVELS.map((l): [string, string] => [l, levelLabel(l)]), ['normal', t('normal')], ['offline', t('offline')]];

  const liveDot = h('span', { class: 'live', 'data-testid': 'live-state' }, t('reconnecting'));
  const count = h('span', { class: 'count', 'data-testid': 'station-count' });
  const header = h(
    'header',
    { class: 'top' },
    h('h1', {}, t('title')),
    h('div', { class: 'filters' }, select('domain', t('allDomains'), domains), select('department', t('allDepartments'), departments), select('region', t('allRegions'), regions), select('level', t('allLevels'), levels)),
    count,
    liveDot,
    h('span', { class: 'who', 'data-testid': 'who' }, `${user.displayName} · ${user.role}`),
    h(
      'button',
      {
        class: 'sign-out',
        onclick: () =>
          background(
            api('DELETE', '/app/session').finally(() => {
              events?.close();
              showSignIn();
            }),
          ),
      },
      t('signOut'),
    ),
  );
  const mapBox = h('div', { class: 'map', 'data-testid': 'map' });
  const list = h('ol', { class: 'warnings', 'data-testid': 'warnings' });
  const legend = h(
    'div',
    { class: 'legend' },
    ...LEVELS.map((l) => h('span', {}, h('i', { style: `background:${LEVEL_COLOR[l]}` }), levelLabel(l))),
    h('span', {}, h('i', { style: `background:${NORMAL_COLOR}` }), t('normal')),
    h('span', {}, h('i', { style: `background:${OFFLINE_COLOR}` }), t('offline')),
  );
  const side = h('section', { class: 'side' }, h('h2', {}, t('warnings'), h('span', { class: 'badge', 'data-testid': 'warning-count' })), h('p', { class: 'error', id: 'page-error', role: 'alert' }), list, legend);
  const panel = new StationPanel({ user, openAlerts: openOf, acknowledge: (a) => acknowledge(a) });
  root.append(header, h('main', { class: 'body' }, mapBox, side, panel.el));

  const view = new MapView(mapBox, config);
  view.onStationClick = (id) => {
    const f = stations.get(id);
    if (f) background(panel.show(f));
  };

  async function acknowledge(a: Alert): Promise<void> {
    try {
      const r = await api<{ alert: Alert }>('POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, user.displayName !== user.name ? { by: user.displayName } : {});
      open.set(r.alert.id, r.alert);
      redraw();
    } catch (err) {
      window.alert((err as Error).message);
    }
  }

  const points = (): MarkerPoint[] =>
    [...stations.values()].filter(passes).map((f) => ({ id: f.id, name: f.properties.name, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], rank: rankOf(f) }));

  // The list is rebuilt only when what it shows changed: a row must not be replaced under the pointer by every reading.
  let listKey = '';
  function drawList(): void {
    const visible = [...open.values()].filter((a) => {
      const f = stations.get(a.stationId);
      return f ? passes(f) : false;
    });
    visible.sort(byLevelThenTime);
    const key = visible.map((a) => `${a.id}:${a.state}:${a.level}:${a.acknowledgedBy ?? ''}:${a.message}`).join('|');
    if (key === listKey && list.childElementCount > 0) return;
    listKey = key;
    clear(list);
    for (const a of visible) {
      list.append(
        h(
          'li',
          { class: `warning level-${a.level} state-${a.state}`, 'data-station': a.stationId, 'data-alert': a.id, 'data-level': a.level },
          h('span', { class: 'chip', style: `background:${LEVEL_COLOR[a.level]}`, title: levelLabel(a.level) }),
          h(
            'div',
            {
              class: 'what',
              onclick: () => {
                view.flyTo(a.stationId);
                const f = stations.get(a.stationId);
                if (f) background(panel.show(f));
              },
            },
            h('strong', {}, a.stationName),
            h('span', {}, a.message),
            h('small', { class: 'muted' }, `${levelLabel(a.level)} · ${fmtTime(a.openedAt)}${a.state === 'acknowledged' ? ` · ${t('acked')} ${a.acknowledgedBy ?? ''}` : ''}`),
          ),
          a.state === 'firing' && mayAck(user) ? h('button', { class: 'ack', 'data-alert': a.id, onclick: () => background(acknowledge(a)) }, t('ack')) : null,
        ),
      );
    }
    if (visible.length === 0) list.append(h('li', { class: 'muted empty' }, t('noWarnings')));
    const badge = side.querySelector('[data-testid="warning-count"]');
    if (badge) badge.textContent = String(visible.length);
  }

  let first = true;
  // Markers are redrawn only when a colour or the filtered set changed (10,000 stations: setData is not free).
  let markersKey = '';
  function redraw(): void {
    const pts = points();
    const key = pts.map((p) => `${p.id}:${p.rank}`).join('|');
    if (key !== markersKey) {
      markersKey = key;
      background(view.setStations(pts));
    }
    if (first) {
      first = false;
      view.fit(pts);
    }
    count.textContent = `${t('stations')} ${pts.length}/${stations.size}`;
    drawList();
    const shown = panel.stationId ? stations.get(panel.stationId) : undefined;
    if (shown) background(panel.show(shown, true));
  }
  // Live changes arrive in bursts: one redraw per animation frame at most.
  let pending = false;
  const scheduleRedraw = (): void => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      redraw();
    });
  };
  redraw();
  // Offline colours follow the clock too.
  setInterval(scheduleRedraw, 60_000);

  let events: EventSource | undefined = new EventSource('/app/live');
  events.addEventListener('open', () => {
    liveDot.textContent = t('live');
    liveDot.classList.add('on');
  });
  events.addEventListener('error', () => {
    liveDot.textContent = t('reconnecting');
    liveDot.classList.remove('on');
  });
  events.addEventListener('signed-out', () => {
    events?.close();
    events = undefined;
    showSignIn();
  });
  events.addEventListener('alert', (e) => {
    const { alert } = JSON.parse((e as MessageEvent<string>).data) as { alert: Alert };
    if (alert.state === 'resolved') open.delete(alert.id);
    else open.set(alert.id, alert);
    scheduleRedraw();
  });
  events.addEventListener('reading', (e) => {
    const r = JSON.parse((e as MessageEvent<string>).data) as { stationId: string; values: Record<string, { value: number; quality: string; time: string }> };
    const f = stations.get(r.stationId);
    if (!f) return;
    const values = { ...f.properties.values };
    let lastSeen = f.properties.lastSeen ? Date.parse(f.properties.lastSeen) : 0;
    for (const [m, v] of Object.entries(r.values)) {
      values[m] = { ...(values[m] ?? { name: m, unit: '' }), value: v.value, quality: v.quality, time: v.time };
      lastSeen = Math.max(lastSeen, Date.parse(v.time));
    }
    stations.set(r.stationId, { ...f, properties: { ...f.properties, values, lastSeen: new Date(lastSeen).toISOString() } });
    scheduleRedraw();
  });

  // A link with ?station=ID (from a Grafana marker, a message) opens that station.
  const linked = new URLSearchParams(location.search).get('station');
  const linkedStation = linked ? stations.get(linked) : undefined;
  if (linkedStation) {
    view.flyTo(linkedStation.id);
    background(panel.show(linkedStation));
  }

  // For the browser tests and the bench: read-only views of what the page shows.
  (window as unknown as { shanshui: unknown }).shanshui = {
    view,
    marker: (id: string) => view.markerState(id),
    stationIds: () => points().map((p) => p.id),
    ready: () => view.ready,
  };
}

start().catch((err: unknown) => {
  clear(root);
  root.append(h('p', { class: 'error', id: 'page-error' }));
  report(err);
});
