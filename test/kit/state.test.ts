/**
 * The state declaration: the layout, the codec and the views agree with each other on every
 * type, the views enforce their access rules, and bad declarations or values are refused with
 * a message that names the variable.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { arrayOf, bool, defineState, ghost, global, nodeId, nodeOrNone, nodeSet, oneOf, perNode, range, record, seqOf, setOf, uint } from "../../model/kit/index.js"

const Colour = oneOf("red", "green", "blue")
const State = defineState((b: { cap: number }) => ({
  history: ghost(global(setOf(record({ term: range(1, 3), index: range(1, 2) })))),
  term: perNode(uint(4)),
  colour: perNode(Colour),
  point: perNode(record({ term: uint(4), index: range(2, 5) })),
  log: perNode(seqOf(record({ term: uint(4), colour: Colour }), b.cap)),
  votes: perNode(nodeSet),
  leader: global(nodeId),
  open: global(bool),
  grid: global(arrayOf(arrayOf(uint(9), 3), 2)),
  queue: global(seqOf(range(-1, 1), 3)),
  known: global(nodeOrNone)
}))
const bounds = { cap: 3 }
const nodes = 3
const layout = State.layout(bounds, nodes)

const readable = fc.record({
  history: fc.uniqueArray(fc.record({ term: fc.integer({ min: 1, max: 3 }), index: fc.integer({ min: 1, max: 2 }) }), { selector: (e) => `${e.term},${e.index}` }),
  term: fc.array(fc.nat(4), { minLength: nodes, maxLength: nodes }),
  colour: fc.array(fc.constantFrom("red", "green", "blue"), { minLength: nodes, maxLength: nodes }),
  point: fc.array(fc.record({ term: fc.nat(4), index: fc.integer({ min: 2, max: 5 }) }), { minLength: nodes, maxLength: nodes }),
  log: fc.array(fc.array(fc.record({ term: fc.nat(4), colour: fc.constantFrom("red", "green", "blue") }), { maxLength: 3 }), { minLength: nodes, maxLength: nodes }),
  votes: fc.array(fc.uniqueArray(fc.integer({ min: 1, max: nodes })), { minLength: nodes, maxLength: nodes }),
  leader: fc.integer({ min: 1, max: nodes }),
  open: fc.boolean(),
  grid: fc.array(fc.array(fc.nat(9), { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 2 }),
  queue: fc.array(fc.integer({ min: -1, max: 1 }), { maxLength: 3 }),
  known: fc.integer({ min: 0, max: nodes })
})
/** The codec's canonical form: sets in rank order. */
const canonical = (s: ReturnType<typeof readable.generate>["value"]) => ({
  ...s,
  history: [...s.history].sort((a, b) => a.term - b.term || a.index - b.index),
  votes: s.votes.map((v) => [...v].sort((a, b) => a - b))
})
const pack = (s: object) => {
  const b = new Uint8Array(layout.widthBytes)
  layout.encode(s as Record<string, unknown>, b)
  return b
}

describe("layout", () => {
  it("puts node blocks first (declaration order), then the globals, padded to words", () => {
    // A node block: term 1, colour 1, point 2, log 1 + 3 * 2, votes 1 = 12 bytes.
    expect(layout.stride).toBe(12)
    const at = Object.fromEntries(layout.fields.map((f) => [f.name, f.offset]))
    expect(at).toEqual({ history: 36, term: 0, colour: 1, point: 2, log: 4, votes: 11, leader: 37, open: 38, grid: 39, queue: 45, known: 49 })
    expect(layout.widthBytes).toBe(52)
  })
})

describe("codec and views agree", () => {
  test.prop([readable])("decode(encode(s)) is s, with sets in rank order", (s) => {
    expect(layout.decode(pack(s))).toEqual(canonical(s))
  })

  test.prop([readable])("a state view reads what the codec wrote", (s) => {
    layout.next.set(pack(s))
    const v = layout.view("state")
    for (let i = 1; i <= nodes; i++) {
      expect(v.term(i)).toBe(s.term[i - 1])
      expect(Colour.names[v.colour(i)]).toBe(s.colour[i - 1])
      expect([v.point.term(i), v.point.index(i)]).toEqual([s.point[i - 1]!.term, s.point[i - 1]!.index])
      expect(v.log.length(i)).toBe(s.log[i - 1]!.length)
      s.log[i - 1]!.forEach((e, k) => expect([v.log.term(i, k + 1), Colour.names[v.log.colour(i, k + 1)]]).toEqual([e.term, e.colour]))
      for (let j = 1; j <= nodes; j++) expect(v.votes.has(i, j)).toBe(s.votes[i - 1]!.includes(j))
      expect(v.votes.size(i)).toBe(new Set(s.votes[i - 1]).size)
    }
    for (const e of [{ term: 1, index: 1 }, { term: 3, index: 2 }]) expect(v.history.has(e)).toBe(s.history.some((h) => h.term === e.term && h.index === e.index))
    expect(v.history.has({ term: 4, index: 1 })).toBe(false)
    expect([v.leader, v.open]).toEqual([s.leader, s.open])
    expect([1, 2].map((r) => [1, 2, 3].map((c) => v.grid.at(r, c)))).toEqual(s.grid)
    expect(v.queue.values()).toEqual(s.queue)
    expect(v.known).toBe(s.known)
  })

  test.prop([readable, readable])("writing a state through the view gives the codec's bytes, unused bytes zero", (from, to) => {
    // Start from another state and turn it into `to` with the write view only.
    layout.next.set(pack(from))
    const t = layout.view("init")
    for (let i = 1; i <= nodes; i++) {
      t.setTerm(i, to.term[i - 1]!)
      t.setColour(i, Colour[to.colour[i - 1]!])
      t.point.setTerm(i, to.point[i - 1]!.term)
      t.point.setIndex(i, to.point[i - 1]!.index)
      t.log.clear(i)
      for (const e of to.log[i - 1]!) t.log.push(i, { term: e.term, colour: Colour[e.colour] })
      t.votes.setMask(i, 0)
      for (const id of to.votes[i - 1]!) t.votes.add(i, id)
    }
    t.history.clear()
    for (const e of to.history) t.history.add(e)
    t.leader = to.leader
    t.open = to.open
    to.grid.forEach((row, r) => row.forEach((x, c) => t.grid.set(r + 1, c + 1, x)))
    t.queue.clear()
    for (const x of to.queue) t.queue.push(x)
    t.known = to.known
    expect(Array.from(layout.next)).toEqual(Array.from(pack(to)))
  })
})

describe("access rules", () => {
  it("an action's pre-state view is read only and hides ghosts", () => {
    layout.src.fill(0)
    const pre = layout.view("pre") as unknown as Record<string, unknown> & { history: { has(v: unknown): boolean } }
    expect(() => ((pre as unknown as { open: boolean }).open = true)).toThrow(TypeError)
    expect(() => pre.history.has({ term: 1, index: 1 })).toThrow(/ghost variable: actions may write ghost variables but not read them/)
    expect(pre["setTerm"]).toBeUndefined()
  })

  it("an action's successor view writes ghosts but does not read them", () => {
    layout.next.fill(0)
    const next = layout.view("next")
    next.ghost.history.add({ term: 2, index: 1 })
    expect(() => next.ghost.history.has({ term: 2, index: 1 })).toThrow(/ghost variable/)
    expect(layout.view("state").history.has({ term: 2, index: 1 })).toBe(true)
  })

  it("a full sequence refuses a push, and pop zeroes what it removes", () => {
    layout.next.fill(0)
    const t = layout.view("init")
    for (let k = 0; k < 3; k++) t.log.push(2, { term: 4, colour: Colour.blue })
    expect(() => t.log.push(2, { term: 1, colour: Colour.red })).toThrow(/the sequence is full/)
    t.log.truncate(2, 0)
    expect(Array.from(layout.next)).toEqual(new Array(layout.widthBytes).fill(0))
  })

  it("refuses a value outside its type when adding to a set", () => {
    layout.next.fill(0)
    expect(() => layout.view("init").history.add({ term: 4, index: 1 })).toThrow(RangeError)
  })
})

describe("bad input", () => {
  it.each([
    [{ log: [[{ term: 1, colour: "red" }, { term: 1, colour: "red" }, { term: 1, colour: "red" }, { term: 1, colour: "red" }], [], []] }, /^log\[1\]: length 4 is more than the 3 the bounds allow/],
    [{ colour: ["red", "mauve", "red"] }, /^colour\[2\]: "mauve" is not one of "red", "green", "blue"/],
    [{ point: [{ term: 0, index: 1 }, { term: 0, index: 2 }, { term: 0, index: 2 }] }, /^point\[1\]\.index: 1 is not an integer 2\.\.5/],
    [{ leader: 4 }, /^leader: 4 is not a node id 1\.\.3/],
    [{ leader: 0 }, /^leader: 0 is not a node id 1\.\.3/],
    [{ known: 4 }, /^known: 4 is not a node id 1\.\.3, or 0 for none/],
    [{ term: [0, 0] }, /^term: expected a value for each of the 3 nodes/],
    [{ grid: [[0, 0, 0]] }, /^grid: expected 2 elements, got 1/]
  ])("encode names the variable that does not fit: %j", (change, message) => {
    const zero = layout.decode(new Uint8Array(layout.widthBytes))
    expect(() => pack({ ...zero, ...change })).toThrow(message)
  })

  it.each([
    [() => defineState(() => ({ nodeCount: global(bool) })).layout({}, 1), /nodeCount: the name is reserved/],
    [() => defineState(() => ({ x: global(uint(300)) })).layout({}, 1), /x: uint\(300\): the maximum must be an integer 0\.\.255/],
    [() => defineState(() => ({ q: global(seqOf(seqOf(bool, 2), 2)) })).layout({}, 1), /q: the elements of a sequence or array must be scalars/],
    [() => oneOf("kind", "other"), /"kind" is reserved/],
    [() => defineState(() => ({ s: global(setOf(nodeOrNone)) })).layout({}, 2), /s: a set of node ids holds ids only: use nodeSet, not a set of nodeOrNone/]
  ])("refuses a declaration it cannot pack: %#", (make, message) => {
    expect(make).toThrow(message)
  })
})
