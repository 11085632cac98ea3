/**
 * The map: MapLibre GL JS with the configured basemap (天地图, an XYZ tile server, or none),
 * the bundled administrative boundaries on top (every province of China and its cities' borders:
 * the page is never blank offline), and the stations as one clustered GeoJSON source — clusters
 * take the colour of their worst station, so a red warning is visible at every zoom. Cluster
 * counts are HTML labels (an offline map has no glyph server for map text).
 */
import { LngLatBounds, Map as MapLibreMap, Marker, NavigationControl, Popup, ScaleControl } from 'maplibre-gl';
import type { ExpressionSpecification, GeoJSONSource, MapGeoJSONFeature, MapLayerMouseEvent, StyleSpecification } from 'maplibre-gl';
import type { AppConfig } from './api.ts';
import { background } from './dom.ts';
import { LEVEL_COLOR, NORMAL_COLOR, OFFLINE_COLOR } from './levels.ts';

export interface MarkerPoint {
  readonly id: string;
  readonly name: string;
  readonly lon: number;
  readonly lat: number;
  /** 0 normal, 1–4 blue…red, -1 offline. */
  readonly rank: number;
}

const RANK_COLOR = ['step', ['get', 'maxRank'], OFFLINE_COLOR, 0, NORMAL_COLOR, 1, LEVEL_COLOR.blue, 2, LEVEL_COLOR.yellow, 3, LEVEL_COLOR.orange, 4, LEVEL_COLOR.red] as unknown as ExpressionSpecification;
export const colorOfRank = (rank: number): string => (rank < 0 ? OFFLINE_COLOR : rank === 0 ? NORMAL_COLOR : [LEVEL_COLOR.blue, LEVEL_COLOR.yellow, LEVEL_COLOR.orange, LEVEL_COLOR.red][rank - 1]!);

function baseStyle(config: AppConfig): StyleSpecification {
  const b = config.basemap;
  const style: StyleSpecification = {
    version: 8,
    sources: { boundaries: { type: 'geojson', data: 'assets/boundaries.geojson' } },
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e9eef2' } }],
  };
  if (b.kind !== 'none' && b.tiles.length > 0) {
    style.sources['basemap'] = { type: 'raster', tiles: [...b.tiles], tileSize: 256, attribution: b.attribution, maxzoom: 18 };
    style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
    if (b.labels.length > 0) {
      style.sources['basemap-labels'] = { type: 'raster', tiles: [...b.labels], tileSize: 256, maxzoom: 18 };
      style.layers.push({ id: 'basemap-labels', type: 'raster', source: 'basemap-labels' });
    }
  } else {
    style.layers.push({ id: 'boundaries-fill', type: 'fill', source: 'boundaries', filter: ['==', ['get', 'level'], 'city'], paint: { 'fill-color': '#fbfbf7' } });
  }
  // Fine lines for the outlines of cities (and 区/县 in a build variant that has them), bolder ones for province borders.
  const opacity = b.kind === 'none' ? 0.9 : 0.5;
  style.layers.push({ id: 'boundaries-inner', type: 'line', source: 'boundaries', minzoom: 5, filter: ['!=', ['get', 'level'], 'province-border'], paint: { 'line-color': '#a3b1c0', 'line-width': 0.7, 'line-opacity': opacity } });
  style.layers.push({ id: 'boundaries-line', type: 'line', source: 'boundaries', filter: ['==', ['get', 'level'], 'province-border'], paint: { 'line-color': '#7d8fa3', 'line-width': ['interpolate', ['linear'], ['zoom'], 3, 0.8, 8, 1.6], 'line-opacity': opacity } });
  return style;
}

export class MapView {
  readonly map: MapLibreMap;
  readonly #ready: Promise<void>;
  #countMarkers = new Map<number, Marker>();
  #points: readonly MarkerPoint[] = [];
  onStationClick: (id: string) => void = () => undefined;

  constructor(container: HTMLElement, config: AppConfig) {
    this.map = new MapLibreMap({ container, style: baseStyle(config), center: [113.35, 23.15], zoom: 8.5, attributionControl: { compact: true }, fadeDuration: 0 });
    this.map.addControl(new NavigationControl({ showCompass: false }), 'top-left');
    this.map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-left');
    this.#ready = new Promise((resolve) => {
      this.map.on('load', () => {
        this.#addStationLayers();
        resolve();
      });
    });
  }

  get ready(): Promise<void> {
    return this.#ready;
  }

  #addStationLayers(): void {
    const m = this.map;
    m.addSource('stations', {
      type: 'geojson',
      data: { type: 'FeatureCollection', features: [] },
      cluster: true,
      clusterRadius: 45,
      clusterMaxZoom: 12,
      clusterProperties: { maxRank: ['max', ['get', 'rank']] },
      promoteId: 'id',
    });
    m.addLayer({
      id: 'clusters',
      type: 'circle',
      source: 'stations',
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': RANK_COLOR,
        'circle-radius': ['step', ['get', 'point_count'], 16, 20, 20, 100, 26, 1000, 32],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
        'circle-opacity': 0.9,
      },
    });
    m.addLayer({
      id: 'station-points',
      type: 'circle',
      source: 'stations',
      filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': ['get', 'color'],
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 5, 12, 9, 16, 12],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      },
    });
    m.on('click', 'clusters', (e: MapLayerMouseEvent) => {
      const f = e.features?.[0];
      if (!f) return;
      const source = m.getSource('stations') as GeoJSONSource;
      background(
        source.getClusterExpansionZoom(f.properties['cluster_id'] as number).then((zoom) => {
          m.easeTo({ center: (f.geometry as unknown as { coordinates: [number, number] }).coordinates, zoom });
        }),
      );
    });
    m.on('click', 'station-points', (e: MapLayerMouseEvent) => {
      const id = e.features?.[0]?.properties['id'];
      if (typeof id === 'string') this.onStationClick(id);
    });
    for (const layer of ['clusters', 'station-points']) {
      m.on('mouseenter', layer, () => (m.getCanvas().style.cursor = 'pointer'));
      m.on('mouseleave', layer, () => (m.getCanvas().style.cursor = ''));
    }
    const popup = new Popup({ closeButton: false, closeOnClick: false, offset: 10 });
    m.on('mousemove', 'station-points', (e: MapLayerMouseEvent) => {
      const f = e.features?.[0];
      if (!f) return;
      popup.setLngLat((f.geometry as unknown as { coordinates: [number, number] }).coordinates).setText(String(f.properties['name'])).addTo(m);
    });
    m.on('mouseleave', 'station-points', () => popup.remove());
    // Count labels follow the map by themselves while it moves; which clusters exist changes only when it stops or the data changes.
    m.on('moveend', () => this.#updateCounts());
    m.on('sourcedata', (e) => {
      if (e.sourceId === 'stations' && e.isSourceLoaded) this.#updateCounts();
    });
  }

  /** HTML count labels on the clusters in view (no glyphs needed offline). */
  #updateCounts(): void {
    if (!this.map.getSource('stations') || !this.map.isSourceLoaded('stations')) return;
    const seen = new Set<number>();
    for (const f of this.map.queryRenderedFeatures({ layers: ['clusters'] }) as MapGeoJSONFeature[]) {
      const id = f.properties['cluster_id'] as number;
      if (seen.has(id)) continue;
      seen.add(id);
      let marker = this.#countMarkers.get(id);
      const text = String(f.properties['point_count_abbreviated'] ?? f.properties['point_count']);
      if (!marker) {
        const el = document.createElement('div');
        el.className = 'cluster-count';
        el.textContent = text;
        marker = new Marker({ element: el }).setLngLat((f.geometry as unknown as { coordinates: [number, number] }).coordinates);
        this.#countMarkers.set(id, marker);
      } else if (marker.getElement().textContent !== text) {
        marker.getElement().textContent = text;
      }
      marker.addTo(this.map);
    }
    for (const [id, marker] of this.#countMarkers) {
      if (!seen.has(id)) {
        marker.remove();
        this.#countMarkers.delete(id);
      }
    }
  }

  async setStations(points: readonly MarkerPoint[]): Promise<void> {
    await this.#ready;
    this.#points = points;
    const source = this.map.getSource('stations') as GeoJSONSource;
    await source.setData({
      type: 'FeatureCollection',
      features: points.map((p) => ({ type: 'Feature', id: p.id, geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: { id: p.id, name: p.name, rank: p.rank, color: colorOfRank(p.rank) } })),
    });
  }

  /** Fits the view to the stations (once, at start). */
  fit(points: readonly MarkerPoint[]): void {
    if (points.length === 0) return;
    const b = new LngLatBounds();
    for (const p of points) b.extend([p.lon, p.lat]);
    this.map.fitBounds(b, { padding: 60, maxZoom: 12, duration: 0 });
  }

  flyTo(id: string): void {
    const p = this.#points.find((x) => x.id === id);
    if (p) this.map.easeTo({ center: [p.lon, p.lat], zoom: Math.max(this.map.getZoom(), 13) });
  }

  /** For tests and the bench: the colour a station's marker has in the map's data, and whether it is drawn as a single marker now. */
  markerState(id: string): { color: string | null; rendered: boolean } {
    const p = this.#points.find((x) => x.id === id);
    const rendered = this.map.getLayer('station-points') ? this.map.queryRenderedFeatures({ layers: ['station-points'], filter: ['==', ['get', 'id'], id] }).length > 0 : false;
    return { color: p ? colorOfRank(p.rank) : null, rendered };
  }
}
