/** Node sets as bitmasks (bit id - 1 for node id), the form `nodeSets` and `subsetsOf` choose. */

/** The bit of node `id`. */
export const nodeBit = (id: number): number => 1 << (id - 1)

/** Does the set `mask` hold node `id`? */
export const hasNode = (mask: number, id: number): boolean => (mask & (1 << (id - 1))) !== 0

/** Number of nodes in `mask`. */
export function countNodes(mask: number): number {
  let c = 0
  for (let m = mask; m !== 0; m &= m - 1) c++
  return c
}

/** The node ids in `mask`, ascending. */
export function nodeIds(mask: number): number[] {
  const ids: number[] = []
  for (let k = 0; k < 32; k++) if (mask & (1 << k)) ids.push(k + 1)
  return ids
}
