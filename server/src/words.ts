// Words every front end uses (the CLI, the server and the extension): no
// imports, so that any bundle can take it.

/** `1 path`, `2 paths`; `many` for irregular plurals (`patches`). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
