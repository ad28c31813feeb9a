// The dashboard's router: #/movers[/tier], #/ticker/SYMBOL, #/sectors, #/venues[/tier].
import 'uplot/dist/uPlot.min.css';
import '../styles.css';
import { moversView } from './views/movers.js';
import { sectorsView } from './views/sectors.js';
import { tickerView } from './views/ticker.js';
import { venuesView } from './views/venues.js';

const main = document.getElementById('main')!;

async function route() {
  // An empty hash splits to [''], so the default view is chosen with ||, not a destructuring default.
  const [first, param = ''] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const view = first || 'movers';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (link.dataset.nav === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.setAttribute('aria-busy', 'true');
  const page = view === 'ticker' ? tickerView(main, param) : view === 'sectors' ? sectorsView(main) : view === 'venues' ? venuesView(main, param) : moversView(main, param);
  document.title = `${view[0]!.toUpperCase()}${view.slice(1)}${param ? ` ${param.toUpperCase()}` : ''} · DarkPool Radar`;
  main.querySelector('h1')?.focus();
  await page;
  main.removeAttribute('aria-busy');
}

window.addEventListener('hashchange', () => void route());
void route();
