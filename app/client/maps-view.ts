/**
 * The "Maps" panel: the probe's maps with their keys and values decoded, refreshed every second
 * while the run is attached (so counts can be watched growing) and left as the run ended them.
 * Hash maps of counts list the biggest first; histograms show their buckets with bars; perf and
 * ring buffers say how many events they delivered (the events themselves are in Trace output).
 * Collapsible like the bytecode panel; the choice is kept.
 */
import {
  bar,
  describeMap,
  formatEntryValue,
  formatKey,
  mentionsLabTask,
} from '../../runner/probe/c-value.js';
import type { MapSnapshot } from '../../runner/protocol/messages.js';
import type { ServerMessageOf } from '../shared/protocol.js';
import { button, h, pane, replaceChildren } from './dom.js';
import { local } from './storage.js';

const OPEN_KEY = 'ebpf-lab:maps-open';

export class MapsView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly toggle: HTMLButtonElement;

  constructor() {
    this.summary = h('span', { class: 'pane-summary' }, 'Run a probe to see its maps');
    this.body = h(
      'div',
      { class: 'maps-body', id: 'maps-body' },
      h('p', { class: 'muted' }, 'The maps of a running probe show here, updated every second.'),
    );
    this.toggle = button(
      '',
      () => this.setOpen(this.toggle.getAttribute('aria-expanded') !== 'true'),
      { class: 'small', 'aria-controls': 'maps-body' },
    );
    this.element = pane(
      'Maps',
      'maps-pane',
      [this.summary, h('div', { class: 'toolbar-spacer' }), this.toggle],
      this.body,
    );
    this.setOpen(local.get(OPEN_KEY) !== 'false');
  }

  setOpen(open: boolean): void {
    this.toggle.setAttribute('aria-expanded', String(open));
    this.toggle.textContent = open ? 'Hide maps' : 'Show maps';
    this.body.hidden = !open;
    this.element.classList.toggle('open', open);
    local.set(OPEN_KEY, String(open));
  }

  render(message: ServerMessageOf<'maps'>): void {
    const { maps, final } = message;
    const time = new Date().toLocaleTimeString();
    this.summary.textContent =
      maps.length === 0
        ? 'This program has no maps'
        : `${maps.length} map${maps.length === 1 ? '' : 's'} · ${final ? 'as the run left them' : `live, ${time}`}`;
    replaceChildren(this.body, ...maps.map((map) => renderMap(map)));
  }
}

function renderMap(map: MapSnapshot): HTMLElement {
  const heading = h('h3', {}, describeMap(map));
  if (map.events !== null) {
    return h(
      'article',
      { class: 'map' },
      heading,
      h('p', { class: 'muted' }, 'Its events are shown in Trace output as they arrive.'),
    );
  }
  if (map.entries.length === 0) {
    return h(
      'article',
      { class: 'map' },
      heading,
      map.note ? null : h('p', { class: 'muted' }, 'No entries yet.'),
    );
  }
  const max = Math.max(0, ...map.entries.map((e) => Number(e.value) || 0));
  const rows = map.entries.map((entry) => {
    const lab = mentionsLabTask(entry.key);
    return h(
      'tr',
      lab ? { class: 'lab-entry', title: "The lab's own process, not yours" } : {},
      h('td', { class: 'map-key' }, formatKey(map, entry.key)),
      h('td', { class: 'map-value' }, formatEntryValue(entry)),
      map.histogram ? h('td', { class: 'map-bar' }, bar(entry.value, max)) : null,
    );
  });
  return h(
    'article',
    { class: 'map' },
    heading,
    h(
      'table',
      { class: 'map-entries', 'aria-label': `Entries of ${map.name}` },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, map.histogram === 'log2' ? 'Range' : 'Key'),
          h('th', { scope: 'col' }, map.histogram ? 'Count' : 'Value'),
          map.histogram ? h('th', { scope: 'col' }, 'Distribution') : null,
        ),
      ),
      h('tbody', {}, ...rows),
    ),
    map.more > 0 ? h('p', { class: 'muted' }, `${map.more} more not shown`) : null,
  );
}
