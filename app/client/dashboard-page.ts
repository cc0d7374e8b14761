/**
 * A class's dashboard (/teach/:id), for the instructor, live: the join code large enough to
 * project with the join URL and its QR code; closing and reopening the class; a broadcast to
 * every learner's tab; the exports; then each learner (stuck ones first, highlighted, with the
 * reason; "View work" opens a read-only look at their code and terminals, work-view.ts), and a
 * lesson × learner grid. The server pushes a fresh dashboard over /ws/teach
 * whenever something changes; the page redraws only what differs, and keeps focus where it was.
 */
import {
  broadcast,
  type ClassDashboard,
  type ClassSummary,
  classFiles,
  type DashboardLearner,
  endSandbox,
  fetchDashboard,
  lowerHand,
  newResumeLink,
  setClassOpen,
} from './class-api.js';
import { copyWithFeedback } from './copy-text.js';
import {
  activityText,
  ago,
  CELL_LABELS,
  firstLine,
  progressPercent,
  STUCK_LABELS,
  sandboxText,
} from './dashboard-text.js';
import { button, h, replaceChildren } from './dom.js';
import { renderError, topBar } from './page-frame.js';
import { local } from './storage.js';
import { notInstructorPage } from './teach-page.js';
import { TeachSocket, type TeachSocketState } from './teach-socket.js';
import { LearnerWorkView } from './work-view.js';

export async function showDashboardPage(root: HTMLElement, classId: number): Promise<void> {
  let first: ClassDashboard;
  try {
    first = await fetchDashboard(classId);
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 403) return notInstructorPage(root, null);
    renderError(
      root,
      status === 404 ? 'Class not found' : 'Could not load the class',
      status === 404 ? `There is no class ${classId}.` : (err as Error).message,
    );
    return;
  }
  new DashboardPage(root, first);
}

class DashboardPage {
  private readonly classId: number;
  private summary: ClassSummary;
  private readonly liveBadge = h('span', { class: 'live-badge', role: 'status' }, 'Connecting…');
  private readonly title = h('h1', { class: 'class-title' });
  private readonly code = h('div', { class: 'join-code', 'aria-label': 'Join code' });
  private readonly joinUrl = h('a', { class: 'join-url' });
  private readonly openState = h('span', { class: 'pill' });
  private readonly openButton: HTMLButtonElement;
  private readonly stats = h('p', { class: 'class-stats' });
  private readonly notice = h('p', { class: 'dashboard-notice', role: 'alert', hidden: true });
  private readonly learnerBody = h('tbody');
  private readonly learnerTable: HTMLElement;
  private readonly emptyNote = h(
    'p',
    { class: 'empty-note' },
    'Nobody has joined yet. Learners open the join URL, or type the code on the course page.',
  );
  private readonly grid = h('div', { class: 'lesson-grid-holder' });
  /** Each learner row as last drawn, by ref, with the data it was drawn from. */
  private readonly rows = new Map<string, { json: string; row: HTMLElement }>();
  /** Re-admit links the instructor asked for, by learner ref: they survive redraws. */
  private readonly resumeLinks = new Map<string, string>();
  private lastGrid = '';
  private latest: ClassDashboard;
  /** Made on first use: it holds a Monaco diff editor and two terminals. */
  private workView: LearnerWorkView | undefined;

  constructor(root: HTMLElement, dashboard: ClassDashboard) {
    this.latest = dashboard;
    this.summary = dashboard.class;
    this.classId = dashboard.class.id;
    this.openButton = button('', () => this.toggleOpen(), { class: 'small' });
    const files = classFiles(this.classId);

    this.learnerTable = h(
      'table',
      { class: 'learner-table', 'aria-label': 'Learners' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...[
            'Learner',
            'Lesson',
            'Progress',
            'Doing',
            'Sandbox',
            'Last outcome',
            'Runs',
            'Checks',
            '',
          ].map((label) => h('th', { scope: 'col' }, label)),
        ),
      ),
      this.learnerBody,
    );

    const broadcastInput = h('input', {
      type: 'text',
      name: 'broadcast',
      maxlength: 500,
      autocomplete: 'off',
      placeholder: 'A message for every learner’s screen, e.g. “Break until 10:30”',
      'aria-label': 'Message to broadcast',
    });
    const broadcastResult = h('span', { class: 'broadcast-result', role: 'status' });
    const broadcastForm = h(
      'form',
      { class: 'broadcast-form', 'aria-label': 'Broadcast' },
      broadcastInput,
      h('button', { type: 'submit', class: 'primary' }, 'Broadcast'),
      broadcastResult,
    );
    broadcastForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = broadcastInput.value;
      broadcastResult.textContent = 'Sending…';
      broadcast(this.classId, { text }).then(
        ({ reached }) => {
          broadcastInput.value = '';
          broadcastResult.textContent = `Sent to ${reached} learner${reached === 1 ? '' : 's'} with the lab open`;
        },
        (err: Error) => {
          broadcastResult.textContent = err.message;
        },
      );
    });

    const qr = h('img', {
      class: 'join-qr',
      src: files.qr,
      alt: 'QR code of the join URL',
      width: 240,
      height: 240,
    });
    const sizeButton = button('', () => setCompact(!hero.classList.contains('compact')), {
      class: 'small',
    });
    const hero = h(
      'section',
      { class: 'join-hero', 'aria-label': 'How to join' },
      h(
        'div',
        { class: 'join-text' },
        h('p', { class: 'join-label' }, 'Join at'),
        this.joinUrl,
        h('p', { class: 'join-label' }, 'or type the code on the course page'),
        this.code,
        h('div', { class: 'join-state' }, this.openState, this.openButton, sizeButton),
      ),
      qr,
    );
    // Large to project while learners join; small afterwards, to leave the screen to the class.
    const sizeKey = `ebpf-lab:join-compact:${this.classId}`;
    const setCompact = (compact: boolean) => {
      hero.classList.toggle('compact', compact);
      sizeButton.textContent = compact ? 'Show the code large' : 'Make it small';
      if (compact) local.set(sizeKey, '1');
      else local.remove(sizeKey);
    };
    setCompact(local.get(sizeKey) === '1');

    const header = topBar(
      this.summary.name,
      h(
        'div',
        { class: 'top-bar-status' },
        this.liveBadge,
        h('a', { class: 'top-bar-link', href: '/teach' }, 'All classes'),
      ),
    );
    root.replaceChildren(
      h(
        'div',
        { class: 'plain-page' },
        header,
        h(
          'main',
          { class: 'dashboard-page' },
          h('div', { class: 'dashboard-head' }, this.title, this.stats),
          this.notice,
          hero,
          h(
            'div',
            { class: 'dashboard-tools' },
            broadcastForm,
            h(
              'div',
              { class: 'export-links' },
              h('span', { class: 'muted' }, 'Export'),
              h('a', { href: files.csv, download: '' }, 'CSV'),
              h('a', { href: files.json, download: '' }, 'JSON'),
            ),
          ),
          h(
            'section',
            { class: 'dashboard-section', 'aria-label': 'Learners' },
            h('h2', {}, 'Learners'),
            this.emptyNote,
            h('div', { class: 'table-scroll' }, this.learnerTable),
          ),
          h(
            'section',
            { class: 'dashboard-section', 'aria-label': 'Lessons by learner' },
            h('h2', {}, 'Lessons by learner'),
            this.grid,
          ),
        ),
      ),
    );
    this.render(dashboard);
    new TeachSocket(this.classId, {
      dashboard: (next) => this.render(next),
      state: (state) => this.socketState(state),
      error: (message) => this.showNotice(message),
    }).start();
    // "idle 3 min", "2 min ago": the words age even when nothing is pushed.
    window.setInterval(() => this.render(this.latest, true), 30_000);
  }

  private socketState(state: TeachSocketState): void {
    const text = {
      connecting: 'Connecting…',
      live: 'Live',
      waiting: 'Reconnecting…',
      'signed-out': 'Signed out',
    }[state.kind];
    this.liveBadge.textContent = text;
    this.liveBadge.dataset.state = state.kind;
    if (state.kind === 'signed-out') {
      this.showNotice(
        'This browser is no longer signed in as the instructor: open the newest instructor link to see the class live again.',
      );
    }
  }

  private showNotice(message: string): void {
    this.notice.textContent = message;
    this.notice.hidden = false;
  }

  private toggleOpen(): void {
    this.openButton.disabled = true;
    setClassOpen(this.classId, !this.summary.open).then(
      (summary) => {
        this.summary = summary;
        this.renderSummary();
        this.openButton.disabled = false;
      },
      (err: Error) => {
        this.showNotice(err.message);
        this.openButton.disabled = false;
      },
    );
  }

  private render(dashboard: ClassDashboard, force = false): void {
    this.latest = dashboard;
    this.summary = dashboard.class;
    this.renderSummary();
    const { learners, sandboxes } = dashboard;
    const stuck = learners.filter((l) => l.stuck).length;
    const online = learners.filter((l) => l.activity.state !== 'offline').length;
    this.stats.textContent = [
      `${learners.length} learner${learners.length === 1 ? '' : 's'}`,
      `${online} online`,
      `${stuck} need${stuck === 1 ? 's' : ''} help`,
      `sandboxes ${sandboxes.inUse} of ${sandboxes.capacity} in use`,
      sandboxes.waiting > 0 ? `${sandboxes.waiting} waiting for one` : null,
    ]
      .filter(Boolean)
      .join(' · ');
    this.renderLearners(learners, force);
    this.renderGrid(dashboard);
  }

  private renderSummary(): void {
    const { summary } = this;
    document.title = `${summary.name} · ebpf-lab`;
    this.title.textContent = summary.name;
    this.code.textContent = summary.joinCode;
    this.joinUrl.textContent = summary.joinUrl;
    this.joinUrl.href = summary.joinUrl;
    this.openState.textContent = summary.open
      ? 'Open: learners can join'
      : 'Closed to new learners';
    this.openState.className = `pill ${summary.open ? 'pill-ok' : 'pill-muted'}`;
    this.openButton.textContent = summary.open ? 'Close the class' : 'Reopen the class';
  }

  /** Redraws the rows whose learner changed, in the server's order (stuck first). */
  private renderLearners(learners: DashboardLearner[], force: boolean): void {
    this.emptyNote.hidden = learners.length > 0;
    this.learnerTable.hidden = learners.length === 0;
    const focused = focusKey();
    const seen = new Set<string>();
    let previous: Element | null = null;
    for (const learner of learners) {
      seen.add(learner.ref);
      const json = JSON.stringify([learner, this.resumeLinks.get(learner.ref) ?? null]);
      let entry = this.rows.get(learner.ref);
      if (!entry || entry.json !== json || force) {
        const row = this.learnerRow(learner);
        if (entry) entry.row.replaceWith(row);
        entry = { json, row };
        this.rows.set(learner.ref, entry);
      }
      // In place when it already is: moving a row would lose the focus inside it.
      const wanted: Element | null = previous
        ? previous.nextElementSibling
        : this.learnerBody.firstElementChild;
      if (wanted !== entry.row) this.learnerBody.insertBefore(entry.row, wanted);
      previous = entry.row;
    }
    for (const [ref, entry] of this.rows) {
      if (!seen.has(ref)) {
        entry.row.remove();
        this.rows.delete(ref);
      }
    }
    restoreFocus(this.learnerBody, focused);
  }

  private learnerRow(learner: DashboardLearner): HTMLElement {
    const now = Date.now();
    const { stuck, lastOutcome } = learner;
    const percent = progressPercent(learner);
    const resumeLink = this.resumeLinks.get(learner.ref);
    const outcomeFailed =
      lastOutcome !== null &&
      lastOutcome.outcome !== 'attached' &&
      lastOutcome.outcome !== 'passed';
    return h(
      'tr',
      {
        class: stuck ? 'learner-row stuck' : 'learner-row',
        'data-ref': learner.ref,
        'data-stuck': stuck?.reason ?? null,
      },
      h(
        'th',
        { scope: 'row', class: 'learner-name-cell' },
        h('span', { class: 'learner-name' }, learner.name),
        // A raised hand is the stuck rule's first reason; the badge is for a hand it did not name.
        learner.hand && stuck?.reason !== 'hand-raised'
          ? h('span', { class: 'hand-badge' }, `Hand raised ${ago(learner.hand.raisedAt, now)}`)
          : null,
        stuck
          ? h(
              'span',
              { class: 'stuck-reason' },
              h('strong', {}, STUCK_LABELS[stuck.reason] ?? stuck.reason),
              // "Hand raised · 2 min ago" says it all; other reasons have the rule's words.
              stuck.reason === 'hand-raised'
                ? ` · ${ago(stuck.since, now)}`
                : ` · ${stuck.detail} · ${ago(stuck.since, now)}`,
            )
          : null,
        resumeLink
          ? h(
              'span',
              { class: 'resume-link' },
              h('code', { class: 'resume-link-url' }, resumeLink),
              button(
                'Copy',
                (event) => copyWithFeedback(resumeLink, event.currentTarget as HTMLButtonElement),
                {
                  class: 'small',
                  'data-action': 'copy-link',
                },
              ),
            )
          : null,
      ),
      h(
        'td',
        {},
        learner.currentLesson ? learner.currentLesson.title : h('span', { class: 'muted' }, '—'),
      ),
      h(
        'td',
        { class: 'progress-cell' },
        h(
          'div',
          {
            class: 'progress-bar',
            role: 'progressbar',
            'aria-valuemin': 0,
            'aria-valuemax': learner.lessonsTotal,
            'aria-valuenow': learner.lessonsDone,
            'aria-label': `${learner.name}: ${learner.lessonsDone} of ${learner.lessonsTotal} lessons done`,
          },
          h('div', { class: 'progress-fill', style: `width: ${percent}%` }),
        ),
        h('span', { class: 'progress-text' }, `${learner.lessonsDone}/${learner.lessonsTotal}`),
      ),
      h('td', { 'data-activity': learner.activity.state }, activityText(learner.activity)),
      h('td', { 'data-sandbox': learner.activity.sandbox }, sandboxText(learner.activity)),
      h(
        'td',
        { class: 'outcome-cell' },
        lastOutcome
          ? h(
              'span',
              { class: outcomeFailed ? 'outcome failed' : 'outcome ok' },
              lastOutcome.summary,
              h('span', { class: 'outcome-age' }, ` · ${ago(lastOutcome.at, now)}`),
            )
          : h('span', { class: 'muted' }, '—'),
        lastOutcome?.firstErrorLine
          ? h(
              'span',
              { class: 'error-line', title: lastOutcome.firstErrorLine },
              firstLine(lastOutcome.firstErrorLine),
            )
          : null,
      ),
      h('td', { class: 'number' }, String(learner.runs)),
      h('td', { class: 'number' }, String(learner.checks)),
      h('td', { class: 'actions-cell' }, ...this.actions(learner)),
    );
  }

  private actions(learner: DashboardLearner): HTMLElement[] {
    const ref = learner.ref;
    const act = (label: string, action: string, run: () => Promise<unknown>, title: string) =>
      button(
        label,
        (event) => {
          const target = event.currentTarget as HTMLButtonElement;
          target.disabled = true;
          run().then(
            () => {
              target.disabled = false;
            },
            (err: Error) => {
              target.disabled = false;
              this.showNotice(`${learner.name}: ${err.message}`);
            },
          );
        },
        { class: 'small', 'data-action': action, title, 'aria-label': `${label}: ${learner.name}` },
      );
    const buttons: HTMLElement[] = [
      button(
        'View work',
        () => {
          this.workView ??= new LearnerWorkView(this.classId);
          this.workView.open(ref, learner.name);
        },
        {
          class: 'small',
          'data-action': 'view-work',
          title: 'Their code, diagnostics, latest Run and terminals, read-only and live',
          'aria-label': `View work: ${learner.name}`,
        },
      ),
    ];
    if (learner.hand) {
      buttons.push(
        act(
          'Lower hand',
          'lower-hand',
          () => lowerHand(this.classId, ref),
          'Lower their raised hand',
        ),
      );
    }
    if (learner.activity.sandbox === 'running' || learner.activity.sandbox === 'starting') {
      buttons.push(
        act(
          'End sandbox',
          'end-sandbox',
          async () => {
            if (
              !confirm(
                `End ${learner.name}’s sandbox? Whatever runs in it stops; their code is kept, and a new sandbox starts when they Run again.`,
              )
            )
              return;
            await endSandbox(this.classId, ref);
          },
          'Stop their sandbox to free its slot for someone waiting',
        ),
      );
    }
    buttons.push(
      act(
        'Re-admit',
        're-admit',
        async () => {
          const { resumeUrl } = await newResumeLink(this.classId, ref);
          this.resumeLinks.set(ref, resumeUrl);
          this.render(this.latest, true);
        },
        'A new personal link back to their progress, for another browser (their old link stops working)',
      ),
    );
    return buttons;
  }

  private renderGrid(dashboard: ClassDashboard): void {
    const json = JSON.stringify(dashboard.grid);
    if (json === this.lastGrid) return;
    this.lastGrid = json;
    const { lessons, rows } = dashboard.grid;
    if (rows.length === 0) {
      replaceChildren(
        this.grid,
        h('p', { class: 'empty-note' }, 'The grid fills in as learners join.'),
      );
      return;
    }
    const legend = h(
      'p',
      { class: 'grid-legend' },
      ...(['done', 'attempted', 'not-started'] as const).map((cell) =>
        h(
          'span',
          {},
          h('span', { class: `grid-cell cell-${cell}`, 'aria-hidden': 'true' }),
          CELL_LABELS[cell],
        ),
      ),
    );
    const table = h(
      'table',
      { class: 'lesson-grid', 'aria-label': 'Lessons by learner' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', class: 'grid-col' }, 'Learner'),
          ...lessons.map((lesson, i) =>
            h(
              'th',
              { scope: 'col', class: 'grid-col', title: lesson.title, 'aria-label': lesson.title },
              String(i + 1),
            ),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((row) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', class: 'grid-row-name' }, row.name),
            ...row.cells.map((cell, i) =>
              h(
                'td',
                {
                  class: 'grid-td',
                  title: `${row.name} · ${lessons[i]?.title ?? ''}: ${CELL_LABELS[cell]}`,
                },
                h(
                  'span',
                  { class: `grid-cell cell-${cell}`, 'data-cell': cell },
                  CELL_LABELS[cell],
                ),
              ),
            ),
          ),
        ),
      ),
    );
    const key = h(
      'ol',
      { class: 'grid-key', 'aria-label': 'Lesson numbers' },
      ...lessons.map((lesson) => h('li', {}, lesson.title)),
    );
    replaceChildren(this.grid, legend, h('div', { class: 'table-scroll' }, table), key);
  }
}

/** Which learner action had the focus, to give it back after a redraw. */
function focusKey(): { ref: string; action: string } | null {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement)) return null;
  const action = active.dataset.action;
  const ref = active.closest<HTMLElement>('tr[data-ref]')?.dataset.ref;
  return action && ref ? { ref, action } : null;
}

function restoreFocus(body: HTMLElement, key: { ref: string; action: string } | null): void {
  if (!key || document.activeElement instanceof HTMLButtonElement) return;
  const row = [...body.querySelectorAll<HTMLElement>('tr[data-ref]')].find(
    (r) => r.dataset.ref === key.ref,
  );
  row?.querySelector<HTMLElement>(`[data-action="${key.action}"]`)?.focus();
}
