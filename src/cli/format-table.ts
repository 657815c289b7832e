/** A cell as the CLI prints it: text as is, dates as UTC to the second, booleans as yes/no, null as "-". */
export type Cell = string | number | boolean | Date | null

/** Renders rows as a plain-text table, columns padded to their widest cell, header first. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const lines = [headers, ...rows.map((row) => row.map(formatCell))]
  const widths = headers.map((_, column) => Math.max(...lines.map((line) => line[column]?.length ?? 0)))
  return lines
    .map((line) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    .join('\n')
}

/** One cell as text; control characters become spaces, so stored text cannot move the cursor. */
export function formatCell(cell: Cell): string {
  if (cell === null) return '-'
  if (cell instanceof Date) return `${cell.toISOString().slice(0, 19).replace('T', ' ')}Z`
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no'
  // eslint-disable-next-line no-control-regex
  return String(cell).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
}
