/**
 * The worked example of DESIGN.md, whose counts TLC reports: x starts at 0 and grows by 1 or 2
 * under the constraint x <= 3. Variant `witness` grows by 1 under `\E y \in {1, 2}`, so each
 * witness is its own successor. Used to pin the count semantics.
 */
import { BASE_VARIANT, type Model, type Successors } from "../../engine/model.js"

export const counterVariants = [
  { name: BASE_VARIANT, summary: "x' = x + 1 \\/ x' = x + 2" },
  { name: "witness", summary: "\\E y \\in {1, 2} : x' = x + 1" }
]

export function buildCounter(cfg: { limit: number }, variant: string): Model<{ x: number }> {
  const witness = variant === "witness"
  if (!witness && variant !== BASE_VARIANT) throw new RangeError(`counter has no variant ${variant}`)
  return {
    protocol: "counter",
    variant,
    widthBytes: 4,
    families: witness
      ? [
          {
            name: "Increment",
            params: ["y"],
            expand(s, out) {
              for (let y = 1; y <= 2; y++) {
                out.next()[0] = s[0]! + 1
                out.emit(y)
              }
            },
            describe: (a) => ({ y: a[0] })
          }
        ]
      : [1, 2].map((step) => ({
          name: `Add${step}`,
          params: [],
          expand(s: Uint8Array, out: Successors) {
            out.next()[0] = s[0]! + step
            out.emit()
          },
          describe: () => ({})
        })),
    stateInvariants: [{ name: "XNeverFour", description: "x # 4", holds: (s) => s[0] !== 4 }],
    stepInvariants: [],
    initialStates: () => [new Uint8Array(4)],
    constraint: (s) => s[0]! <= cfg.limit,
    codec: {
      nodeVariables: [],
      decode: (s) => ({ x: s[0]! }),
      encode: (state, into) => {
        into[0] = state.x
      }
    }
  }
}
