/**
 * What a learner is doing now, in the dashboard's words, from their session's live state:
 * checking, compiling (a Run on its way into the kernel), running (a probe attached), editing
 * (did something in the last EDITING_WITHIN_MS), idle for N minutes, or offline (no tab open);
 * and their sandbox: running, starting, queued (with their place in line) or none.
 */
import type { LearnerActivity } from '../../shared/classroom-api.js';
import type { SessionLive } from '../session.js';

/** An action this recent counts as working on the lesson; later, the learner is idle. */
export const EDITING_WITHIN_MS = 2 * 60_000;

export function activityOf(live: SessionLive | undefined): LearnerActivity {
  const sandbox = sandboxOf(live);
  if (!live || live.tabs === 0) return { state: 'offline', ...sandbox };
  if (live.checking) return { state: 'checking', ...sandbox };
  if (live.phase === 'compiling' || live.phase === 'loading') {
    return { state: 'compiling', ...sandbox };
  }
  if (live.attached) return { state: 'running', ...sandbox };
  if (live.idleMs < EDITING_WITHIN_MS) return { state: 'editing', ...sandbox };
  return { state: 'idle', idleMinutes: Math.floor(live.idleMs / 60_000), ...sandbox };
}

function sandboxOf(live: SessionLive | undefined): Pick<LearnerActivity, 'sandbox' | 'queuePlace'> {
  if (live?.queuePlace !== undefined) return { sandbox: 'queued', queuePlace: live.queuePlace };
  return { sandbox: live?.sandbox ?? 'none' };
}
