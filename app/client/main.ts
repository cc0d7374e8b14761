/**
 * The client's entry point and router. The server serves the same page for `/`, `/lessons/:id`,
 * `/glossary`, the classroom's `/join/:code` and `/resume`, and the instructor's `/teach` and
 * `/teach/:id`; the path picks what it shows. Pages link to each other with plain links (a
 * full load: the lesson page holds a socket, an editor and terminals that a client-side move
 * would have to tear down), and the lab session survives the move (see connection.ts).
 */
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { showCoursePage } from './course-page.js';
import { showDashboardPage } from './dashboard-page.js';
import { showGlossaryPage } from './glossary-page.js';
import { showJoinPage, showResumePage } from './join-page.js';
import { showLessonPage } from './lesson-page.js';
import { renderError } from './page-frame.js';
import { showTeachPage } from './teach-page.js';

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function route(root: HTMLElement, pathname: string): Promise<void> {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return showCoursePage(root);
  if (path === '/glossary') return showGlossaryPage(root);
  const lesson = /^\/lessons\/([^/]+)$/.exec(path);
  if (lesson?.[1]) return showLessonPage(root, decoded(lesson[1]));
  if (path === '/teach') return showTeachPage(root);
  const dashboard = /^\/teach\/([1-9][0-9]{0,9})$/.exec(path);
  if (dashboard?.[1]) return showDashboardPage(root, Number(dashboard[1]));
  const join = /^\/join(?:\/([^/]+))?$/.exec(path);
  if (join) {
    showJoinPage(root, join[1] ? decoded(join[1]) : '');
    return Promise.resolve();
  }
  if (path === '/resume') return showResumePage(root);
  renderError(root, 'Page not found', `Nothing lives at ${pathname}.`);
  return Promise.resolve();
}

const root = document.getElementById('app') ?? document.body;
route(root, location.pathname).catch((err: unknown) => {
  // The pages handle their own expected failures; this is the last resort, never a blank page.
  console.error('[ebpf-lab]', err);
  renderError(root, 'Something went wrong', err instanceof Error ? err.message : String(err));
});
