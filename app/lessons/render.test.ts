import { describe, expect, it } from 'vitest';
import { renderLessonMarkdown } from './render.js';

const render = (md: string) => renderLessonMarkdown(md, '/api/lessons/01-x/assets/');

describe('renderLessonMarkdown', () => {
  it('highlights code blocks and marks their language for the block actions', () => {
    const html = render('```c\nint x = 1;\n```\n');
    expect(html).toContain('<div class="code-block" data-lang="c">');
    expect(html).toContain('<span class="hljs-type">int</span>');
  });

  it('turns > [!NOTE] and > [!WARNING] into callouts', () => {
    const html = render('> [!WARNING]\n> Be **careful**.\n');
    expect(html).toContain(
      '<div class="callout callout-warning"><p class="callout-title">Warning</p>',
    );
    expect(html).toContain('<strong>careful</strong>');
    expect(render('> just a quote\n')).toContain('<blockquote>');
  });

  it('resolves lesson-relative images against the lesson assets', () => {
    expect(render('![diagram](images/flow.svg)')).toContain(
      'src="/api/lessons/01-x/assets/images/flow.svg"',
    );
    expect(render('![x](https://example.org/a.png)')).not.toContain('/api/lessons');
  });

  it('removes scripts, event handlers and javascript: links', () => {
    const html = render(
      '<script>alert(1)</script>\n\n<img src="x" onerror="alert(1)">\n\n[a](javascript:alert(1))\n\n<div style="color:red" onclick="x()">hi</div>',
    );
    expect(html).not.toMatch(/<script|onerror|onclick|javascript:|style=/);
  });

  it('opens external links in a new tab without an opener', () => {
    expect(render('[guide](https://example.org)')).toContain('rel="noopener noreferrer"');
  });

  it('gives headings ids that glossary links can point at', () => {
    expect(render('## Map (BPF map)')).toContain('<h2 id="map-bpf-map">Map (BPF map)</h2>');
  });
});
