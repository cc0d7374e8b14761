/** The monospace font stack shared by the editor, the terminals and the bytecode view. */
export const MONO_FONT =
  'ui-monospace, "Cascadia Code", "JetBrains Mono", "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';
