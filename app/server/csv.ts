/**
 * CSV for spreadsheets (the class export): RFC 4180 text that Excel, LibreOffice and Google
 * Sheets open as the table it is, whatever learners typed as their names.
 *
 * - A field holding a comma, a double quote, a CR or an LF is quoted, its quotes doubled.
 * - Records end with CRLF (the RFC's line break), the last one too.
 * - The text starts with a UTF-8 byte order mark: without it Excel reads the file as the
 *   system's legacy code page and "José" arrives as "JosÃ©".
 * - Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a
 *   formula (and tab or CR can precede one), so a display name `=HYPERLINK(...)` would become a
 *   live link in the instructor's sheet. Such a text cell gets a leading apostrophe, which
 *   spreadsheets show as text (OWASP's advice). Numbers are written as numbers: -3 stays -3.
 */

export type CsvValue = string | number | boolean | null | undefined;

export const CSV_BOM = '\uFEFF';
const LINE_END = '\r\n';
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One field, defended and quoted as needed. null and undefined are empty fields. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number for CSV: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The whole file: a byte order mark, then one record per row (the header is the first row). */
export function toCsv(rows: readonly (readonly CsvValue[])[]): string {
  return CSV_BOM + rows.map((row) => row.map(csvField).join(',') + LINE_END).join('');
}
