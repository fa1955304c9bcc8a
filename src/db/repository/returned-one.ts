/** node-postgres and PGlite both put a raw statement's RETURNING rows in `rows`. */
export function returnedOne(result: unknown): boolean {
  return (result as { rows: unknown[] }).rows.length === 1;
}
