/**
 * The course as the server serves it: lessons loaded and rendered once at start (never per
 * request), plus the glossary. In authoring mode it watches the lessons folder and reloads a
 * lesson when its files change, so an instructor sees an edit in the browser at once.
 */
import { existsSync, type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { LessonError, loadCourse, loadLesson } from '../lessons/load.js';
import { renderLessonMarkdown } from '../lessons/render.js';
import type { Lesson } from '../lessons/schema.js';

export interface RenderedLesson {
  lesson: Lesson;
  html: string;
}

const RELOAD_DEBOUNCE_MS = 150;

export class LessonCatalog {
  private lessons: RenderedLesson[] = [];
  private glossary = '';
  private watcher: FSWatcher | undefined;

  private constructor(private readonly root: string) {}

  static async load(root: string, glossaryFile: string): Promise<LessonCatalog> {
    const catalog = new LessonCatalog(root);
    catalog.lessons = (await loadCourse(root)).map(render);
    if (existsSync(glossaryFile)) {
      catalog.glossary = renderLessonMarkdown(
        await readFile(glossaryFile, 'utf8'),
        '/api/glossary/',
      );
    }
    return catalog;
  }

  list(): readonly RenderedLesson[] {
    return this.lessons;
  }

  get(id: string): RenderedLesson | undefined {
    return this.lessons.find((l) => l.lesson.id === id);
  }

  get glossaryHtml(): string {
    return this.glossary;
  }

  /**
   * Authoring mode: reload a lesson when a file under it changes and tell `onChange`. A lesson
   * that no longer loads keeps its last good version, and `onError` says why.
   */
  watch(onChange: (lessonId: string) => void, onError: (message: string) => void): void {
    const pending = new Map<string, NodeJS.Timeout>();
    const onEvent = (_event: string, file: string | Buffer | null) => {
      const id = String(file ?? '').split(sep)[0];
      if (!id || !this.get(id)) return;
      clearTimeout(pending.get(id));
      pending.set(
        id,
        setTimeout(() => {
          pending.delete(id);
          this.reload(id).then(
            () => onChange(id),
            (error: unknown) =>
              onError(error instanceof LessonError ? error.message : String(error)),
          );
        }, RELOAD_DEBOUNCE_MS),
      );
    };
    try {
      this.watcher = watch(this.root, { recursive: true }, onEvent);
    } catch (error) {
      // Recursive watching on Linux arrived in Node.js 20 (Debian 12's own Node.js is 18).
      onError(`authoring mode cannot watch ${this.root}: ${(error as Error).message}`);
    }
  }

  close(): void {
    this.watcher?.close();
  }

  private async reload(id: string): Promise<void> {
    const fresh = render(await loadLesson(this.root, id));
    this.lessons = this.lessons.map((l) => (l.lesson.id === id ? fresh : l));
  }
}

function render(lesson: Lesson): RenderedLesson {
  return { lesson, html: renderLessonMarkdown(lesson.markdown, `/api/lessons/${lesson.id}/`) };
}

export const DEFAULT_GLOSSARY = (packageRoot: string) =>
  join(packageRoot, 'content', 'glossary.md');
