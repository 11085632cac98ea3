/** A tiny element builder: no framework, no innerHTML (every text goes in as text). */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** Where a background task's failure goes: the page's error line (and the console, for the browser tests). */
export function report(err: unknown): void {
  const line = document.getElementById('page-error');
  const text = err instanceof Error ? err.message : String(err);
  if (line) line.textContent = text;
  console.error(text);
}

/** Runs a promise in the background, reporting its failure. */
export function background(p: Promise<unknown>): void {
  p.catch(report);
}
