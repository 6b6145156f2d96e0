import * as HashMap from "effect/HashMap"

/**
 * The records of a map in the order the server issued them (`seq`), which is
 * what a test reading a listing expects, whatever the map's own order.
 *
 * @internal
 */
export const inIssueOrder = <A extends { readonly seq: number }>(records: HashMap.HashMap<string, A>): Array<A> =>
  Array.from(HashMap.values(records)).sort((a, b) => a.seq - b.seq)
