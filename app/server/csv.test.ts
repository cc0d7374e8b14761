import { describe, expect, it } from 'vitest';
import { CSV_BOM, csvField, toCsv } from './csv.js';

/** An RFC 4180 reader, independent of the writer, to read back what it wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('the last record has no line end');
  return rows;
}

describe('CSV fields', () => {
  it('quote commas, quotes and line breaks, and nothing else', () => {
    expect(csvField('Ann')).toBe('Ann');
    expect(csvField('Doe, Jane')).toBe('"Doe, Jane"');
    expect(csvField('Jane "JJ" Doe')).toBe('"Jane ""JJ"" Doe"');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('carriage\rreturn')).toBe('"carriage\rreturn"');
    expect(csvField('José 李雷 🐝')).toBe('José 李雷 🐝');
    expect(csvField('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });

  it('turn text a spreadsheet would run as a formula into text', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvField('\t=1+1')).toBe("'\t=1+1");
    expect(csvField('\r=1+1')).toBe('"\'\r=1+1"');
    expect(csvField('=HYPERLINK("http://evil.example","click")')).toBe(
      '"\'=HYPERLINK(""http://evil.example"",""click"")"',
    );
    expect(csvField('a=b')).toBe('a=b');
  });

  it('write numbers as numbers, and empty cells for null and undefined', () => {
    expect(csvField(-3)).toBe('-3');
    expect(csvField(0)).toBe('0');
    expect(csvField(2.5)).toBe('2.5');
    expect(csvField(true)).toBe('true');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(() => csvField(Number.NaN)).toThrow(RangeError);
  });
});

describe('a CSV file', () => {
  it('starts with a UTF-8 byte order mark and ends every record with CRLF', () => {
    const csv = toCsv([
      ['name', 'done'],
      ['Zoë', 3],
    ]);
    expect(csv).toBe(`${CSV_BOM}name,done\r\nZoë,3\r\n`);
    expect([...Buffer.from(csv, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(toCsv([])).toBe(CSV_BOM);
  });

  it('reads back as the table written, whatever learners called themselves', () => {
    const rows = [
      ['learner', 'lesson', 'done', 'checks'],
      ['Doe, Jane', '01-hello', 'yes', 3],
      ['Jane "JJ" Doe', '02-verifier', '', 0],
      ['two\r\nlines', '03-maps', 'no', null],
      ['José 李雷 🐝', '04-attach', 'yes', -1],
      ['<img src=x onerror=alert(1)>', '=cmd|"/c calc"!A1', '@x', '+1'],
    ];
    const read = parseCsv(toCsv(rows).slice(CSV_BOM.length));
    expect(read).toEqual([
      ['learner', 'lesson', 'done', 'checks'],
      ['Doe, Jane', '01-hello', 'yes', '3'],
      ['Jane "JJ" Doe', '02-verifier', '', '0'],
      ['two\r\nlines', '03-maps', 'no', ''],
      ['José 李雷 🐝', '04-attach', 'yes', '-1'],
      ['<img src=x onerror=alert(1)>', '\'=cmd|"/c calc"!A1', "'@x", "'+1"],
    ]);
  });
});
