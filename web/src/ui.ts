// Small DOM helpers, number formats, and the loading / empty / error states every view shares.
import { ApiError, apiKey, type Schemas } from './api.js';

type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = String(v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

const whole = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
export const num = (n: number | null | undefined) => (n === null || n === undefined ? '—' : whole.format(n));
export const short = (n: number | null | undefined) => (n === null || n === undefined ? '—' : compact.format(n));
export const usd = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `$${compact.format(n)}`);
export const pct = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `${n > 0 ? '+' : ''}${n.toFixed(2)}%`);
const twoDigits = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 });
/** A part of a whole in percent: two decimals, or two significant digits under 0.1%, so that no venue with volume reads 0.00%. */
export function sharePct(part: number | null | undefined, whole: number): string {
  if (part === null || part === undefined || whole <= 0) return '—';
  const v = (part / whole) * 100;
  return v === 0 ? '0%' : v < 0.1 ? `${twoDigits.format(v)}%` : `${v.toFixed(2)}%`;
}

/** A trend as words and a symbol, never colour alone; "no comparison" when there is none. */
export function trendBadge(trend: string | null, change: number | null): HTMLElement {
  if (trend === null)
    return el('span', { class: 'trend none', title: 'The week before is not loaded, or holds other tiers' }, 'no comparison');
  const mark = trend === 'rising' ? '▲' : trend === 'falling' ? '▼' : '▬';
  return el(
    'span',
    { class: `trend ${trend}` },
    el('span', { 'aria-hidden': 'true' }, mark),
    ` ${trend}`,
    change === null ? '' : ` (${pct(change)})`,
  );
}

/**
 * A link to the JSON a figure comes from. A browser sends no API key when it follows a link, so with
 * a key in this session the JSON is fetched with it and opened from memory instead.
 */
export function jsonLink(url: string, label = 'JSON'): HTMLElement {
  const link = el('a', { class: 'json', href: url, title: `The data behind this, as JSON: ${url}` }, `${label} ↗`);
  link.addEventListener('click', (e) => {
    const key = apiKey.get();
    if (!key) return;
    e.preventDefault();
    const tab = window.open('', '_blank');
    void fetch(url, { headers: { authorization: `Bearer ${key}`, accept: 'application/json' } })
      .then(async (res) => JSON.stringify(await res.json(), null, 2))
      .catch((err: unknown) => `Could not load ${url}: ${String(err)}`)
      .then((text) => {
        const blob = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
        if (tab) tab.location.href = blob;
        else location.href = blob;
      });
  });
  return link;
}

/** The page title, focused after a route change so keyboard and screen-reader users land on it. */
export function heading(text: string): HTMLHeadingElement {
  return el('h1', { tabindex: '-1' }, text);
}

/** A placeholder of fixed height, so that nothing jumps when the data arrives. */
export function loading(label: string, height = 320): HTMLElement {
  return el(
    'div',
    { class: 'loading', role: 'status', style: `min-height:${height}px` },
    el('span', { class: 'spinner', 'aria-hidden': 'true' }),
    ` Loading ${label}…`,
  );
}

/** The error state for a failed call; a key form when the server wants a key. */
export function failure(err: unknown, retry: () => void): HTMLElement {
  // The footer must not say "loading" forever: what the failure tells about freshness, if anything.
  if (err instanceof ApiError && err.problem?.code === 'no_data') setFreshness('Freshness: no week loaded yet');
  else if (err instanceof ApiError && err.status === 401) setFreshness('Freshness: unknown until an API key is given');
  else if (stillLoading()) setFreshness('Freshness: unknown, the server could not answer');
  if (err instanceof ApiError && err.status === 401) return keyForm(retry);
  const box = el('div', { class: 'problem', role: 'alert' });
  if (err instanceof ApiError && err.status === 0) {
    box.append(el('h2', {}, 'Network error'), el('p', {}, 'The server could not be reached. Check your connection.'));
  } else if (err instanceof ApiError && err.problem?.code === 'no_data') {
    box.append(
      el('h2', {}, 'No data loaded yet'),
      el('p', {}, err.problem.detail),
      el(
        'p',
        {},
        'The server loads FINRA data on its own schedule; an operator can also run ',
        el('code', {}, 'darkpool-radar ingest'),
        ' or ',
        el('code', {}, 'import'),
        '. This page can be reloaded later.',
      ),
    );
  } else if (err instanceof ApiError && err.problem) {
    box.append(el('h2', {}, err.problem.title), el('p', {}, err.problem.detail));
  } else {
    box.append(el('h2', {}, 'Something went wrong'), el('p', {}, String(err instanceof Error ? err.message : err)));
  }
  // Retrying helps after a network error or a server fault, not after a 4xx answer.
  if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500) {
    const again = el('button', { type: 'button' }, 'Try again');
    again.addEventListener('click', retry);
    box.append(again);
  }
  return box;
}

function keyForm(retry: () => void): HTMLElement {
  const input = el('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, minlength: '16' });
  const form = el(
    'form',
    { class: 'problem', 'aria-labelledby': 'key-title' },
    el('h2', { id: 'key-title' }, 'This server needs an API key'),
    el('p', {}, 'The key stays in this browser tab (session storage) and is sent with each request.'),
    el('label', { for: 'api-key' }, 'API key'),
    input,
    el('button', { type: 'submit' }, 'Use this key'),
  );
  if (apiKey.get()) form.insertBefore(el('p', { role: 'alert' }, 'That key was refused. Check it and try again.'), input.previousSibling);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apiKey.set(input.value.trim());
    retry();
  });
  queueMicrotask(() => input.focus());
  return form;
}

/** The footer: the newest loaded week of each tier and when it was loaded. */
export function showFreshness(source: Schemas['Source'] | undefined): void {
  if (!source) return;
  const parts = source.freshness.map((f) => `${f.tier} week ending ${f.newest_week_ending} (loaded ${f.loaded_at.slice(0, 10)})`);
  setFreshness(parts.length ? `Freshness: ${parts.join(' · ')}` : 'Freshness: no week loaded yet');
}

const FRESHNESS_LOADING = 'Freshness: loading…';

function setFreshness(text: string): void {
  const target = document.getElementById('freshness');
  if (target) target.textContent = text;
}

function stillLoading(): boolean {
  return document.getElementById('freshness')?.textContent === FRESHNESS_LOADING;
}

/**
 * The tier menu of a page (`#/page/TIER`). It offers the tiers that hold a loaded week, learnt from
 * the answer's freshness; until then, and after a failure, "all" and the tier asked for.
 */
export function tierMenu(page: string, tier: string, rest = ''): { control: HTMLElement; offer: (source: Schemas['Source']) => void } {
  const select = el('select', { id: 'tier' });
  const fill = (tiers: string[]) =>
    select.replaceChildren(...['', ...tiers].map((t) => el('option', { value: t, selected: t === tier }, t || 'All loaded tiers')));
  fill(tier ? [tier] : []);
  select.addEventListener(
    'change',
    () => (location.hash = select.value || rest ? `#/${page}/${select.value || 'all'}${rest}` : `#/${page}`),
  );
  return {
    control: el('div', { class: 'controls' }, el('label', { for: 'tier' }, 'Tier'), select),
    offer: (source) => fill([...new Set([...source.freshness.map((f) => f.tier), ...(tier ? [tier] : [])])]),
  };
}
