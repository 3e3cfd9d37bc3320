/**
 * The worked example of DESIGN.md, whose counts TLC reports: x starts at 0 and grows by 1 or 2
 * under the constraint x <= 3. Variant `witness` grows by 1 under `\E y \in {1, 2}`, so each
 * witness is its own successor. Used to pin the count semantics.
 */
import { Schema } from "effect"
import { defineConfig } from "../../engine/config.js"
import { BASE_VARIANT, type Model, type Protocol } from "../../engine/model.js"
import { ItfInt } from "../../trace/itf.js"

const config = defineConfig({
  limit: { default: 3, min: 0, max: 250, description: "state constraint: x <= limit" }
})

const State = Schema.Struct({ x: ItfInt })

function build(cfg: { limit: number }, variant: string): Model<typeof State.Type> {
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
          expand(s: Uint8Array, out: import("../../engine/model.js").Successors) {
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
      schema: State,
      nodeVariables: [],
      decode: (s) => ({ x: s[0]! }),
      encode: (state, into) => {
        into[0] = state.x
      }
    }
  }
}

export const counter: Protocol<{ limit: number }> = {
  name: "counter",
  summary: "DESIGN.md's worked example of TLC's counts (x grows by 1 or 2 up to a limit)",
  config,
  variants: [
    { name: BASE_VARIANT, summary: "x' = x + 1 \\/ x' = x + 2" },
    { name: "witness", summary: "\\E y \\in {1, 2} : x' = x + 1" }
  ],
  symmetric: false,
  build: (cfg, variant) => build(cfg, variant)
}
