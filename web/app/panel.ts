/**
 * The station panel: latest values with quality flags, the national classification, a 24 h
 * chart per metric (from the readings API), the station's alert history, and — for roles that
 * may — sending a command.
 */
import { QUALITY_LABEL } from '../../models/src/quality.ts';
import type { Quality } from '../../models/src/quality.ts';
import { api } from './api.ts';
import type { Alert, SessionUser, StationFeature } from './api.ts';
import { classify } from './classify.ts';
import { background, clear, h } from './dom.ts';
import { LANG, t } from './i18n.ts';
import { LEVEL_COLOR, LEVEL_LABEL, LEVEL_LABEL_EN } from './levels.ts';

const ROLE_RANK = { viewer: 0, technician: 1, operator: 2, admin: 3 } as const;
export const mayAck = (u: SessionUser): boolean => ROLE_RANK[u.role] >= ROLE_RANK.operator;
const fmtTime = (iso: string): string => new Date(iso).toLocaleString(LANG === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });

interface RangeAnswer {
  metrics: Record<string, { name: string; unit: string }>;
  items: Array<{ time: string; values: Record<string, number | { v: number; q: string } | null> }>;
}

const valueOf = (v: number | { v: number; q: string } | null | undefined): number | null => (v == null ? null : typeof v === 'number' ? v : v.v);

/** A 24 h line chart as SVG (no chart library: one line, two axis labels). */
function chart(metric: string, name: string, unit: string, points: Array<[number, number]>, fromMs: number, toMs: number): HTMLElement {
  const W = 320;
  const H = 90;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('data-metric', metric);
  svg.setAttribute('data-points', String(points.length));
  if (points.length > 0) {
    let min = Math.min(...points.map((p) => p[1]));
    let max = Math.max(...points.map((p) => p[1]));
    if (min === max) {
      min -= 1;
      max += 1;
    }
    const x = (ms: number): number => 4 + ((ms - fromMs) / (toMs - fromMs)) * (W - 8);
    const y = (v: number): number => H - 14 - ((v - min) / (max - min)) * (H - 28);
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(''));
    path.setAttribute('class', 'chart-line');
    svg.append(path);
    for (const [v, yy] of [
      [max, 10],
      [min, H - 2],
    ] as const) {
      const label = document.createElementNS(ns, 'text');
      label.setAttribute('x', '4');
      label.setAttribute('y', String(yy));
      label.setAttribute('class', 'chart-label');
      label.textContent = `${Number(v.toFixed(2))} ${unit}`;
      svg.append(label);
    }
  }
  return h('figure', { class: 'chart-box' }, h('figcaption', {}, `${name} · ${t('chart24h')}`), points.length ? svg : h('p', { class: 'muted' }, t('noData')));
}

export interface PanelDeps {
  readonly user: SessionUser;
  readonly acknowledge: (alert: Alert) => Promise<void>;
  readonly openAlerts: (stationId: string) => Alert[];
}

export class StationPanel {
  readonly el: HTMLElement;
  readonly #deps: PanelDeps;
  #stationId: string | null = null;
  #attributes: Readonly<Record<string, unknown>> = {};

  constructor(deps: PanelDeps) {
    this.#deps = deps;
    this.el = h('aside', { class: 'panel', hidden: true, 'data-testid': 'station-panel' });
  }

  get stationId(): string | null {
    return this.#stationId;
  }

  close(): void {
    this.#stationId = null;
    this.el.hidden = true;
  }

  /** Shows a station; `refreshValues` redraws only the values (a live reading). */
  async show(f: StationFeature, refreshValuesOnly = false): Promise<void> {
    const p = f.properties;
    if (refreshValuesOnly && this.#stationId === p.id) {
      const box = this.el.querySelector('[data-testid="panel-values"]');
      if (box) box.replaceWith(this.#values(f));
      const cls = this.el.querySelector('[data-testid="panel-classification"]');
      if (cls) cls.replaceWith(this.#classification(f));
      const alerts = this.el.querySelector('[data-testid="panel-open-alerts"]');
      if (alerts) alerts.replaceWith(this.#openAlerts(p.id));
      return;
    }
    this.#stationId = p.id;
    this.#attributes = {};
    this.el.hidden = false;
    clear(this.el);
    const charts = h('div', { class: 'charts', 'data-testid': 'panel-charts' });
    const history = h('ol', { class: 'history', 'data-testid': 'panel-history' });
    this.el.append(
      h('header', {}, h('h2', {}, p.name), h('button', { class: 'close', onclick: () => this.close(), 'aria-label': t('close') }, '×')),
      h('p', { class: 'muted' }, `${p.id} · ${p.domainName} · ${t('department')} ${p.department} · ${t('region')} ${p.region}`),
      this.#openAlerts(p.id),
      this.#classification(f),
      h('h3', {}, t('latest')),
      this.#values(f),
      h('h3', {}, t('chart24h')),
      charts,
      h('h3', {}, t('history')),
      history,
      ...(mayAck(this.#deps.user) ? [this.#commandForm(p.id)] : []),
    );
    try {
      const detail = await api<{ station: { attributes?: Record<string, unknown> } }>('GET', `/api/v1/stations/${encodeURIComponent(p.id)}`);
      if (this.#stationId !== p.id) return;
      this.#attributes = detail.station.attributes ?? {};
      this.el.querySelector('[data-testid="panel-classification"]')?.replaceWith(this.#classification(f));
    } catch {
      // The classification then uses the defaults (a river); the rest of the panel does not depend on it.
    }
    const metrics = Object.keys(p.values).slice(0, 8);
    if (metrics.length > 0) {
      const toMs = Date.now();
      const fromMs = toMs - 86_400_000;
      try {
        const r = await api<RangeAnswer>('GET', `/api/v1/stations/${encodeURIComponent(p.id)}/readings?metric=${metrics.join(',')}&from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}&window=5m&agg=mean`);
        if (this.#stationId !== p.id) return;
        for (const m of metrics) {
          const pts: Array<[number, number]> = [];
          for (const it of r.items) {
            const v = valueOf(it.values[m]);
            if (v !== null) pts.push([Date.parse(it.time), v]);
          }
          charts.append(chart(m, r.metrics[m]?.name ?? m, r.metrics[m]?.unit ?? '', pts, fromMs, toMs));
        }
      } catch (err) {
        charts.append(h('p', { class: 'error' }, String((err as Error).message)));
      }
    } else {
      charts.append(h('p', { class: 'muted' }, t('noData')));
    }
    try {
      const r = await api<{ items: Alert[] }>('GET', `/api/v1/alerts?station=${encodeURIComponent(p.id)}&state=all&limit=20`);
      if (this.#stationId !== p.id) return;
      for (const a of r.items) {
        history.append(
          h(
            'li',
            { class: `level-${a.level}` },
            h('span', { class: 'chip', style: `background:${LEVEL_COLOR[a.level]}` }),
            `${fmtTime(a.openedAt)} ${a.message}`,
            h('span', { class: 'muted' }, ` · ${a.state}${a.acknowledgedBy ? ` · ${a.acknowledgedBy}` : ''}`),
          ),
        );
      }
      if (r.items.length === 0) history.append(h('li', { class: 'muted' }, t('noWarnings')));
    } catch (err) {
      history.append(h('li', { class: 'error' }, String((err as Error).message)));
    }
  }

  #openAlerts(stationId: string): HTMLElement {
    const open = this.#deps.openAlerts(stationId);
    return h(
      'div',
      { 'data-testid': 'panel-open-alerts' },
      ...open.map((a) =>
        h(
          'div',
          { class: `alert-card level-${a.level}` },
          h('strong', { style: `color:${LEVEL_COLOR[a.level]}` }, LANG === 'zh' ? LEVEL_LABEL[a.level] : LEVEL_LABEL_EN[a.level]),
          ` ${a.message}`,
          a.state === 'firing' && mayAck(this.#deps.user)
            ? h('button', { class: 'ack', 'data-alert': a.id, onclick: () => background(this.#deps.acknowledge(a)) }, t('ack'))
            : a.state === 'acknowledged'
              ? h('span', { class: 'muted' }, ` · ${t('acked')} ${a.acknowledgedBy ?? ''}`)
              : null,
        ),
      ),
    );
  }

  #classification(f: StationFeature): HTMLElement {
    const items = classify(f.properties, this.#attributes);
    return h(
      'dl',
      { class: 'classification', 'data-testid': 'panel-classification' },
      ...items.flatMap((c) => [h('dt', {}, c.label), h('dd', {}, c.color ? h('span', { class: 'chip', style: `background:${c.color}` }) : null, c.value)]),
    );
  }

  #values(f: StationFeature): HTMLElement {
    const rows = Object.entries(f.properties.values).map(([metric, v]) =>
      h(
        'tr',
        { 'data-metric': metric },
        h('th', {}, v.name),
        h('td', { class: 'num' }, String(v.value)),
        h('td', {}, v.unit),
        h('td', { class: v.quality === 'ok' ? 'q-ok' : 'q-bad' }, QUALITY_LABEL[v.quality as Quality] ?? v.quality),
        h('td', { class: 'muted' }, fmtTime(v.time)),
      ),
    );
    return h('table', { class: 'values', 'data-testid': 'panel-values' }, h('tbody', {}, ...(rows.length ? rows : [h('tr', {}, h('td', { class: 'muted' }, t('noData')))])));
  }

  #commandForm(stationId: string): HTMLElement {
    const name = h('input', { name: 'command', placeholder: 'open_gate', pattern: '[a-z][a-z0-9_]{0,63}', required: true });
    const args = h('input', { name: 'args', placeholder: '{"percent": 20}' });
    const status = h('span', { class: 'muted', 'data-testid': 'command-status' });
    const form = h(
      'form',
      { class: 'command', 'data-testid': 'command-form' },
      h('h3', {}, t('commands')),
      h('label', {}, t('commandName'), name),
      h('label', {}, t('commandArgs'), args),
      h('button', { type: 'submit' }, t('send')),
      status,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      background((async () => {
        try {
          const body = { name: name.value.trim(), args: args.value.trim() ? (JSON.parse(args.value) as Record<string, unknown>) : {} };
          const r = await api<{ command: { id: string; state: string } }>('POST', `/api/v1/stations/${encodeURIComponent(stationId)}/commands`, body);
          status.textContent = `${t('sent')} ${r.command.id} (${r.command.state})`;
        } catch (err) {
          status.textContent = `${t('failed')}: ${(err as Error).message}`;
        }
      })());
    });
    return form;
  }
}
