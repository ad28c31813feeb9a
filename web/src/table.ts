// A table whose columns sort on click or Enter, announced with aria-sort.
import { el, num, usd } from './ui.js';

export interface Column<T> {
  key: string;
  label: string;
  value: (row: T) => number | string | null;
  render?: (row: T) => Node | string;
  numeric?: boolean;
  /** Long text (names) wraps instead of widening the table. */
  wrap?: boolean;
  /** Left out on a phone, where the key figures must fit beside the name. */
  optional?: boolean;
}

const cellClass = (c: Column<unknown>) =>
  [c.numeric ? 'num' : '', c.wrap ? 'wrap' : '', c.optional ? 'optional' : ''].filter(Boolean).join(' ');

export function sortableTable<T>(
  caption: string,
  columns: Column<T>[],
  rows: T[],
  initial: { key: string; descending: boolean },
): HTMLElement {
  let sort = initial;
  const table = el('table', { class: 'data' });
  const body = el('tbody');
  const headers = columns.map((c) => {
    const button = el('button', { type: 'button', class: 'sort' }, c.label);
    const th = el('th', { scope: 'col', class: cellClass(c as Column<unknown>) }, button);
    button.addEventListener('click', () => {
      sort = { key: c.key, descending: sort.key === c.key ? !sort.descending : Boolean(c.numeric) };
      draw();
    });
    return { column: c, th };
  });
  table.append(el('caption', {}, caption), el('thead', {}, el('tr', {}, ...headers.map((h) => h.th))), body);

  function draw() {
    const column = columns.find((c) => c.key === sort.key) ?? columns[0]!;
    const sorted = [...rows].sort((a, b) => {
      const [x, y] = [column.value(a), column.value(b)];
      if (x === y) return 0;
      if (x === null) return 1; // nulls last either way
      if (y === null) return -1;
      const order = x < y ? -1 : 1;
      return sort.descending ? -order : order;
    });
    for (const h of headers)
      h.th.setAttribute('aria-sort', h.column.key === sort.key ? (sort.descending ? 'descending' : 'ascending') : 'none');
    body.replaceChildren(
      ...sorted.map((row) =>
        el(
          'tr',
          {},
          ...columns.map((c) =>
            el('td', { class: cellClass(c as Column<unknown>) }, c.render ? c.render(row) : String(c.value(row) ?? '—')),
          ),
        ),
      ),
    );
  }
  draw();
  const wrap = el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption }, table);
  // A table wider than the screen says so, instead of hiding columns behind an unhinted scroll.
  const hint = el('p', { class: 'scroll-hint', hidden: true }, 'More columns: scroll the table sideways →');
  new ResizeObserver(() => {
    const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
    wrap.classList.toggle('scrolls', scrolls);
    hint.hidden = !scrolls;
  }).observe(wrap);
  return el('div', {}, hint, wrap);
}

/** Horizontal bars drawn in HTML: readable, printable, and accessible as a list. */
export function bars(
  label: string,
  items: { name: string; value: number; text: string; secondary?: number; secondaryText?: string }[],
): HTMLElement {
  const max = Math.max(...items.map((i) => Math.max(i.value, i.secondary ?? 0)), 1e-9);
  return el(
    'ol',
    { class: 'bars', 'aria-label': label },
    ...items.map((i) =>
      el(
        'li',
        {},
        el('span', { class: 'bar-name' }, i.name),
        el(
          'span',
          { class: 'bar-track' },
          el('span', { class: 'bar', style: `width:${((i.value / max) * 100).toFixed(2)}%` }),
          i.secondary === undefined
            ? null
            : el('span', { class: 'bar secondary', style: `width:${((i.secondary / max) * 100).toFixed(2)}%` }),
        ),
        el('span', { class: 'bar-value' }, i.text, i.secondaryText ? el('span', { class: 'muted' }, ` · ${i.secondaryText}`) : null),
      ),
    ),
  );
}

/** Columns every ATS table has, over the API's field names. */
export const commonColumns = {
  notional: <T extends { dark_pool_volume_usd: number | null }>(): Column<T> => ({
    key: 'usd',
    label: 'Notional',
    numeric: true,
    optional: true,
    value: (r) => r.dark_pool_volume_usd,
    render: (r) => usd(r.dark_pool_volume_usd),
  }),
  trades: <T extends { dark_pool_trades: number }>(): Column<T> => ({
    key: 'trades',
    label: 'Trades',
    numeric: true,
    optional: true,
    value: (r) => r.dark_pool_trades,
    render: (r) => num(r.dark_pool_trades),
  }),
};
