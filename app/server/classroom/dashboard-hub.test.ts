import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClassDashboard, TeachServerMessage } from '../../shared/classroom-api.js';
import { DashboardHub } from './dashboard-hub.js';

const TIMING = { pushEveryMs: 500, refreshEveryMs: 15_000 };

/** A dashboard whose only content is `version`, as the learner count. */
function dashboard(classId: number, version: number): ClassDashboard {
  return {
    class: {
      id: classId,
      name: 'c',
      joinCode: 'AAAAAA',
      joinUrl: '',
      open: true,
      lessons: [],
      wholeCourse: true,
      createdAt: 0,
      memberCount: version,
    },
    sandboxes: { inUse: 0, capacity: 1, waiting: 0 },
    learners: [],
    grid: { lessons: [], rows: [] },
    at: Date.now(),
  };
}

function watcher(allowed = () => true) {
  const sent: TeachServerMessage[] = [];
  const closed: boolean[] = [];
  return {
    sent,
    closed,
    watcher: {
      send: (m: TeachServerMessage) => sent.push(m),
      allowed,
      close: () => closed.push(true),
    },
    versions: () =>
      sent.flatMap((m) => (m.type === 'dashboard' ? [m.dashboard.class.memberCount] : [])),
  };
}

let version: number;
let builds: number;
let hub: DashboardHub;
beforeEach(() => {
  vi.useFakeTimers();
  version = 1;
  builds = 0;
  hub = new DashboardHub(
    (id) => {
      builds++;
      return id === 1 ? dashboard(id, version) : undefined;
    },
    (learnerId) => (learnerId === 'ada' ? [1] : []),
    () => {},
    TIMING,
  );
});
afterEach(() => {
  hub.close();
  vi.useRealTimers();
});

describe('the dashboard hub', () => {
  it('sends the dashboard at once, then once per burst of changes, within PUSH_EVERY_MS', () => {
    const page = watcher();
    hub.watch(1, page.watcher);
    expect(page.versions()).toEqual([1]);
    version = 2;
    for (let i = 0; i < 100; i++) hub.learnerChanged('ada');
    vi.advanceTimersByTime(499);
    expect(page.versions()).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(page.versions()).toEqual([1, 2]);
    expect(builds).toBe(2);
  });

  it('sends nothing when nothing it shows changed, and ignores learners of other classes', () => {
    const page = watcher();
    hub.watch(1, page.watcher);
    hub.learnerChanged('ada');
    hub.learnerChanged('bob');
    vi.advanceTimersByTime(1000);
    expect(page.versions()).toEqual([1]);
  });

  it('refreshes for what time alone changes, and closes a page whose session ended', () => {
    let allowed = true;
    const page = watcher(() => allowed);
    hub.watch(1, page.watcher);
    version = 3;
    vi.advanceTimersByTime(TIMING.refreshEveryMs);
    expect(page.versions()).toEqual([1, 3]);
    allowed = false;
    version = 4;
    vi.advanceTimersByTime(TIMING.refreshEveryMs);
    expect(page.closed).toEqual([true]);
    expect(page.versions()).toEqual([1, 3]);
  });

  it('stops sending once unwatched, and says so for a class that does not exist', () => {
    const page = watcher();
    const unwatch = hub.watch(1, page.watcher);
    unwatch();
    version = 5;
    hub.classChanged(1);
    vi.advanceTimersByTime(TIMING.refreshEveryMs);
    expect(page.versions()).toEqual([1]);
    const lost = watcher();
    hub.watch(7, lost.watcher);
    expect(lost.sent).toEqual([{ type: 'error', message: 'There is no class 7.' }]);
  });
});
