// The dashboard's router: #/movers[/tier|all[/risers|fallers]], #/unusual[/tier|all[/down]], #/ticker/SYMBOL[/12|26|52|all],
// #/sectors, #/venues[/tier]; anything else,
// and any path but / (the server answers unknown pages with this page), is the not-found page.
import 'uplot/dist/uPlot.min.css';
import '../styles.css';
import { moversView } from './views/movers.js';
import { sectorsView } from './views/sectors.js';
import { tickerView } from './views/ticker.js';
import { unusualView } from './views/unusual.js';
import { venueView } from './views/venue.js';
import { venuesView } from './views/venues.js';
import { el, heading } from './ui.js';

const VIEWS = ['movers', 'unusual', 'ticker', 'sectors', 'venues', 'venue'];

function notFoundView(main: HTMLElement, what: string): void {
  const freshness = document.getElementById('freshness');
  if (freshness) freshness.textContent = 'Freshness: shown on the data pages';
  main.replaceChildren(
    heading('Page not found'),
    el('p', { class: 'lede' }, `There is no page at ${what}.`),
    el(
      'ul',
      {},
      el('li', {}, el('a', { href: '/#/movers' }, 'Movers'), ": this week's top 20"),
      el('li', {}, el('a', { href: '/#/ticker' }, 'Find a ticker')),
      el('li', {}, el('a', { href: '/docs' }, 'API documentation')),
    ),
  );
}

const main = document.getElementById('main')!;

async function route() {
  // An empty hash splits to [''], so the default view is chosen with ||, not a destructuring default.
  const [first, param = '', extra = ''] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const view = location.pathname !== '/' || !VIEWS.includes(first || 'movers') ? 'not-found' : first || 'movers';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (link.dataset.nav === (view === 'venue' ? 'venues' : view)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.setAttribute('aria-busy', 'true');
  const page =
    view === 'not-found'
      ? notFoundView(main, location.pathname !== '/' ? location.pathname : location.hash)
      : view === 'ticker'
        ? tickerView(main, param, extra)
        : view === 'sectors'
          ? sectorsView(main)
          : view === 'venues'
            ? venuesView(main, param)
            : view === 'venue'
              ? param
                ? venueView(main, param)
                : venuesView(main, '')
              : view === 'unusual'
                ? unusualView(main, param, extra)
                : moversView(main, param, extra);
  document.title =
    view === 'not-found'
      ? 'Page not found · DarkPool Radar'
      : `${view[0]!.toUpperCase()}${view.slice(1)}${param ? ` ${param.toUpperCase()}` : ''} · DarkPool Radar`;
  main.querySelector('h1')?.focus();
  await page;
  main.removeAttribute('aria-busy');
}

window.addEventListener('hashchange', () => void route());
void route();
