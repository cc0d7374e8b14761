/**
 * Monaco, trimmed to what the lab's editor needs: the core editor API, the C, Python and shell
 * grammars, and the contributions a learner expects (hover to read a diagnostic, find, comment
 * toggling, word completion...). Importing `monaco-editor` whole would add every language
 * service (TypeScript, CSS, HTML, JSON) and several megabytes the lab never uses.
 *
 * Also tells Monaco where its worker is: a plain script served from 'self', because the CSP
 * allows no blob: or data: workers.
 */
import * as monaco from 'monaco-editor/editor/editor.api.js';
import 'monaco-editor/features/codicon/register.js';
import 'monaco-editor/features/codeEditor/register.js';
import 'monaco-editor/features/hover/register.js';
import 'monaco-editor/features/bracketMatching/register.js';
import 'monaco-editor/features/clipboard/register.js';
import 'monaco-editor/features/comment/register.js';
import 'monaco-editor/features/contextmenu/register.js';
import 'monaco-editor/features/cursorUndo/register.js';
import 'monaco-editor/features/find/register.js';
import 'monaco-editor/features/folding/register.js';
import 'monaco-editor/features/gotoError/register.js';
import 'monaco-editor/features/indentation/register.js';
import 'monaco-editor/features/linesOperations/register.js';
import 'monaco-editor/features/multicursor/register.js';
import 'monaco-editor/features/snippet/register.js';
import 'monaco-editor/features/wordHighlighter/register.js';
import 'monaco-editor/features/wordOperations/register.js';
import 'monaco-editor/editor/contrib/suggest/browser/suggestController.js';
import 'monaco-editor/languages/definitions/cpp/register.js';
import 'monaco-editor/languages/definitions/python/register.js';
import 'monaco-editor/languages/definitions/shell/register.js';

self.MonacoEnvironment = {
  getWorker: (_workerId: string, label: string) =>
    new Worker('/assets/editor.worker.js', { name: label }),
};

export { monaco };
