/**
 * The usage texts, written from the command declarations (commands.ts), and the command lines
 * answered from them alone (help, <command> --help, --version). Imports nothing but the
 * declarations: bin/replcheck.js answers those through fast.ts before it loads Effect and the
 * rest of the CLI, which take most of a second to load.
 */
import { COMMANDS, commandNamed, flagLabel, type CommandDeclaration, type FlagDeclaration } from "./commands.js"

/** The widest a usage line gets. */
export const USAGE_COLUMNS = 100
/** Where a flag's help starts in a command's usage. */
const HELP_COLUMN = 32

/** Words of `text` in lines of at most USAGE_COLUMNS after `indent`, the first after `first` instead. */
export function wrapWords(text: string, indent: string, first = indent): string[] {
  const lines: string[] = []
  let line = first
  let empty = true
  for (const word of text.split(" ")) {
    if (!empty && line.length + 1 + word.length > USAGE_COLUMNS) {
      lines.push(line)
      line = indent + word
    } else line = empty ? line + word : `${line} ${word}`
    empty = false
  }
  lines.push(line)
  return lines
}

/**
 * Lines of output within USAGE_COLUMNS: a longer line breaks between words, its continuation two
 * columns deeper than its own indentation (a single word longer than a line stays whole).
 */
export function fitLines(lines: readonly string[]): string[] {
  return lines.flatMap((line) => {
    if (line.length <= USAGE_COLUMNS) return [line]
    const lead = /^ */.exec(line)![0]
    return wrapWords(line.trimStart(), lead + "  ", lead)
  })
}

/** A command's one-line form: `replcheck check <protocol> [bound flags] [flags]`. */
export function synopsis(c: CommandDeclaration): string {
  const parts = [`replcheck ${c.name}`]
  if (c.protocol === "required") parts.push("<protocol>")
  if (c.protocol === "optional") parts.push("[<protocol>]")
  if (c.operands) parts.push(c.operands.required ? c.operands.name : `[${c.operands.name}]`, ...(c.operands.many ? ["..."] : []))
  if (c.protocolFlags === "bounds") parts.push("[bound flags]")
  if (c.protocolFlags === "implementation") parts.push("[its flags]")
  if (Object.keys(c.flags).length > 0) parts.push("[flags]")
  return parts.join(" ")
}

/** The flags that have a short form, as `-w (--workers)`. */
function shortFlags(): string[] {
  const seen = new Map<string, string>()
  for (const c of COMMANDS) {
    for (const [name, f] of Object.entries(c.flags)) if ("short" in f && f.short !== undefined) seen.set(f.short, name)
  }
  return [...seen].map(([short, name]) => `-${short} (--${name})`)
}

function general(): string[] {
  return [
    ...wrapWords("<protocol> is a built-in protocol's name (replcheck list) or the path of a model module (.ts or .js, whose default export is a defineProtocol result).", ""),
    ...wrapWords("Bound flags are the kebab-case names of the protocol's bounds: replcheck <command> <protocol> --help lists them with their ranges and defaults.", ""),
    ...wrapWords(`A flag's value may follow an = (--workers=2). Short flags: ${[...shortFlags(), "-h (--help)", "-V (--version)"].join(", ")}.`, ""),
    ...wrapWords("Exit status: 0 no violation (verdicts: every run as recorded; validate: accepted; conform: every reply matched), 1 a violation (a run not as recorded, a rejected trace, a divergence), 2 bad usage or input, 3 internal error.", "")
  ]
}

/** `replcheck help`: every command with its form and what it does. */
export const USAGE: string = [
  "usage: replcheck <command> ... (replcheck <command> --help: its flags)",
  "",
  "commands:",
  ...COMMANDS.flatMap((c) => [`  ${synopsis(c)}`, ...wrapWords(c.summary, "      ")]),
  "  replcheck help | <command> --help | --version",
  "",
  ...general()
].join("\n")

/** One flag's usage line(s): its label and value, then its help from HELP_COLUMN on. */
function flagLines(name: string, f: FlagDeclaration): string[] {
  const head = `  ${flagLabel(name, f)}${f.kind === "switch" ? "" : ` ${f.value}`}`
  const help = f.kind === "list" ? `${f.help}: names separated by commas, from ${f.choices.join(", ")}; or none` : f.help
  if (head.length + 2 > HELP_COLUMN) return [head, ...wrapWords(help, " ".repeat(HELP_COLUMN))]
  return wrapWords(help, " ".repeat(HELP_COLUMN), head.padEnd(HELP_COLUMN))
}

/** Flags under their group headings: the ungrouped ones first, under `flags:`. */
function flagSections(flags: Readonly<Record<string, FlagDeclaration>>): string[] {
  const groups = new Map<string, string[]>()
  for (const [name, f] of Object.entries(flags)) {
    const heading = f.group === undefined ? "flags:" : `${f.group} flags:`
    groups.set(heading, [...(groups.get(heading) ?? []), ...flagLines(name, f)])
  }
  const ordered = [...groups].sort(([a], [b]) => (a === "flags:" ? -1 : b === "flags:" ? 1 : 0))
  return ordered.flatMap(([heading, lines]) => [heading, ...lines])
}

/** The flags a command takes from its protocol, when the protocol is known (`--help` after it). */
export interface ProtocolFlags {
  /** e.g. "bound flags of rollback" */
  readonly title: string
  readonly flags: Readonly<Record<string, FlagDeclaration>>
}

/** `replcheck <command> --help`: the command's form, what it does, and every flag it takes. */
export function usageOf(command: string, protocolFlags?: ProtocolFlags): string {
  const c = commandNamed(command)
  if (c === undefined) return USAGE
  const fromProtocol =
    protocolFlags !== undefined
      ? [`${protocolFlags.title}:`, ...Object.entries(protocolFlags.flags).flatMap(([name, f]) => flagLines(name, f))]
      : c.protocolFlags === "bounds"
        ? wrapWords("bound flags: the protocol's bounds (replcheck " + c.name + " <protocol> --help lists them)", "")
        : c.protocolFlags === "implementation"
          ? wrapWords("its flags: the reference implementation's (replcheck cluster <protocol> --help lists them)", "")
          : []
  return [
    `usage: ${synopsis(c)}`,
    "",
    ...wrapWords(c.about, ""),
    "",
    ...flagSections(c.flags),
    ...fromProtocol,
    "",
    "replcheck help: every command, the protocol argument and the exit status."
  ].join("\n")
}

/** help, <command> --help and --version: what parseArgs returns for them, or null for any other command line. */
export function quickAnswer(argv: readonly string[]): { readonly command: "help"; readonly topic?: string; readonly protocol?: string } | { readonly command: "version" } | null {
  const [command, ...rest] = argv
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    return command === "help" && rest[0] !== undefined ? { command: "help", topic: rest[0] } : { command: "help" }
  }
  if (command === "--version" || command === "-V" || command === "version") return { command: "version" }
  if (rest.includes("--help") || rest.includes("-h")) {
    const c = commandNamed(command)
    const protocol = c !== undefined && c.protocol !== "none" && rest[0] !== undefined && !rest[0].startsWith("-") ? rest[0] : undefined
    return { command: "help", topic: command, ...(protocol !== undefined ? { protocol } : {}) }
  }
  return null
}
