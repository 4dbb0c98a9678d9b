/** Column alignment in a markdown table. */
export type Alignment = 'left' | 'right' | 'center';

/** Options of {@link markdownTable}. */
export interface TableOptions {
  /** One per column; numbers read best right-aligned, so a column of numbers defaults to right. */
  align?: Alignment[];
}

/** A table cell: numbers are printed as given (format them first to choose the precision). */
export type Cell = string | number;

function escapeCell(cell: Cell): string {
  // A literal "|" would end the cell early, and a newline would end the row.
  return String(cell).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function separator(alignment: Alignment, width: number): string {
  const dashes = '-'.repeat(
    Math.max(width - (alignment === 'left' ? 0 : 1) - (alignment === 'center' ? 1 : 0), 1),
  );
  if (alignment === 'right') return `${dashes}:`;
  if (alignment === 'center') return `:${dashes}:`;
  return dashes;
}

function pad(text: string, width: number, alignment: Alignment): string {
  if (alignment === 'right') return text.padStart(width);
  if (alignment === 'center') {
    const left = Math.floor((width - text.length) / 2);
    return (' '.repeat(left) + text).padEnd(width);
  }
  return text.padEnd(width);
}

/**
 * Formats rows as a GitHub-flavoured markdown table, columns padded so the source reads as a table
 * too. Rows shorter than the header are filled with empty cells.
 *
 * @example
 * ```ts
 * markdownTable(['method', 'accuracy'], [['UPGrad', '0.91'], ['Mean', '0.89']], {
 *   align: ['left', 'right'],
 * });
 * // | method | accuracy |
 * // | ------ | -------: |
 * // | UPGrad |     0.91 |
 * // | Mean   |     0.89 |
 * ```
 */
export function markdownTable(header: Cell[], rows: Cell[][], options: TableOptions = {}): string {
  if (header.length === 0) throw new Error('markdownTable: header must have at least one column.');
  const tooLong = rows.findIndex((row) => row.length > header.length);
  if (tooLong >= 0) {
    throw new Error(
      `markdownTable: row ${tooLong} has ${rows[tooLong].length} cells but the header has ${header.length}.`,
    );
  }
  const align: Alignment[] = header.map((_, column) => {
    const given = options.align?.[column];
    if (given !== undefined) return given;
    const numeric =
      rows.length > 0 &&
      rows.every((row) => typeof row[column] === 'number' || row[column] === undefined);
    return numeric ? 'right' : 'left';
  });
  const text = [header, ...rows].map((row) =>
    header.map((_, column) => escapeCell(row[column] ?? '')),
  );
  // Width 3 is the shortest separator that can carry both alignment colons.
  const widths = header.map((_, column) => Math.max(3, ...text.map((row) => row[column].length)));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const [headerText, ...bodyText] = text;
  return [
    line(headerText.map((cell, column) => pad(cell, widths[column], align[column]))),
    line(widths.map((width, column) => separator(align[column], width))),
    ...bodyText.map((row) =>
      line(row.map((cell, column) => pad(cell, widths[column], align[column]))),
    ),
  ].join('\n');
}
