/**
 * Lesson Markdown to safe HTML: `marked` for the Markdown, highlight.js for code, GitHub-style
 * `> [!NOTE]` / `> [!WARNING]` / `> [!TIP]` callouts, lesson-relative images served from the
 * lesson's folder, and `sanitize-html` last, so whatever an author writes, the page only gets
 * the tags and attributes a lesson needs (no scripts, no event handlers, no inline styles).
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import python from 'highlight.js/lib/languages/python';
import { Marked, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';

hljs.registerLanguage('c', c);
hljs.registerLanguage('python', python);
hljs.registerLanguage('bash', bash);

const LANGUAGE_ALIASES: Record<string, string> = {
  sh: 'bash',
  shell: 'bash',
  console: 'bash',
  py: 'python',
};
const CALLOUT = /^\s*\[!(NOTE|TIP|WARNING|IMPORTANT|CAUTION)\]\s*/i;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function highlight(code: string, lang: string): string {
  const language = LANGUAGE_ALIASES[lang] ?? lang;
  if (!hljs.getLanguage(language)) return escapeHtml(code);
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}

/** `## Map type` → `map-type`: the anchor lessons link to (`/glossary#map-type`). */
export function headingId(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^a-z0-9 -]/g, '')
    .trim()
    .replace(/\s+/g, '-');
}

/** `assetBase` is the URL lesson-relative images resolve against, e.g. `/api/lessons/01-x/assets/`. */
export function renderLessonMarkdown(markdown: string, assetBase: string): string {
  const marked = new Marked({
    gfm: true,
    renderer: {
      code({ text, lang }: Tokens.Code): string {
        const language = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase() || 'text';
        return (
          `<div class="code-block" data-lang="${escapeHtml(language)}">` +
          `<pre><code class="hljs language-${escapeHtml(language)}">${highlight(text, language)}</code></pre></div>\n`
        );
      },
      blockquote(
        this: { parser: { parse(tokens: Tokens.Generic[]): string } },
        quote: Tokens.Blockquote,
      ) {
        const first = quote.tokens[0];
        const match =
          first?.type === 'paragraph' ? CALLOUT.exec((first as Tokens.Paragraph).text) : null;
        if (!match || !first)
          return `<blockquote>${this.parser.parse(quote.tokens)}</blockquote>\n`;
        const kind = (match[1] ?? 'note').toLowerCase();
        const paragraph = first as Tokens.Paragraph;
        const rest = paragraph.text.slice(match[0].length);
        const body = new Marked({ gfm: true }).parse(rest, { async: false });
        const more = this.parser.parse(quote.tokens.slice(1));
        const title = kind.charAt(0).toUpperCase() + kind.slice(1);
        return `<div class="callout callout-${kind}"><p class="callout-title">${title}</p>${body}${more}</div>\n`;
      },
      heading(
        this: { parser: { parseInline(tokens: Tokens.Generic[]): string } },
        heading: Tokens.Heading,
      ) {
        const id = headingId(heading.text);
        return `<h${heading.depth} id="${id}">${this.parser.parseInline(heading.tokens)}</h${heading.depth}>\n`;
      },
      image({ href, title, text }: Tokens.Image): string {
        const isRelative = !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href) && !href.startsWith('/');
        const src = isRelative ? `${assetBase}${href.replace(/^\.\//, '')}` : href;
        const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
        return `<img src="${escapeHtml(src)}" alt="${escapeHtml(text)}"${titleAttr}>`;
      },
    },
  });
  const html = marked.parse(markdown, { async: false });
  return sanitizeLessonHtml(html);
}

export function sanitizeLessonHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'a', 'img', 'ul', 'ol', 'li', 'blockquote'],
      ...['pre', 'code', 'span', 'div', 'strong', 'em', 'del', 'hr', 'br', 'kbd', 'sup', 'sub'],
      ...['table', 'thead', 'tbody', 'tr', 'th', 'td', 'details', 'summary', 'input'],
    ],
    allowedAttributes: {
      ...Object.fromEntries(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((tag) => [tag, ['id']])),
      a: ['href', 'title', 'target', 'rel'],
      img: ['src', 'alt', 'title'],
      div: ['class', 'data-lang'],
      p: ['class'],
      code: ['class'],
      span: ['class'],
      th: ['align'],
      td: ['align'],
      input: ['type', 'checked', 'disabled'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: [] },
    allowProtocolRelative: false,
    transformTags: {
      // External links open in a new tab without handing it this page.
      a: (tagName, attribs) => {
        const external = /^https?:/i.test(attribs.href ?? '');
        return {
          tagName,
          attribs: external
            ? { ...attribs, target: '_blank', rel: 'noopener noreferrer' }
            : attribs,
        };
      },
    },
  });
}
