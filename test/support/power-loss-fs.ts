/**
 * An in-memory disk for crash tests that can see torn writes. A file's bytes are durable only once
 * fsync is called on it; a directory's entries (names made by create, rename or remove) only once
 * fsync is called on the directory. `cut(k)` makes the k-th mutating operation throw PowerCut, and
 * from then on every operation; `afterPowerLoss()` is the disk as it comes back: only what was
 * made durable (so a file renamed into place before its bytes were fsynced comes back empty).
 * `afterCrash()` is a process crash instead: everything written stays (the page cache survives a
 * process).
 *
 * Simplifications: directories themselves are durable when made; a write lands whole (a small
 * write(2) is not torn by a process crash); at a power loss a file's unsynced bytes are lost
 * whole, never in part (so a torn append is not modelled).
 */
import { dirname } from "node:path"
import type { FileOps } from "../../impl/rollback/file-transport.js"

export class PowerCut extends Error {
  override readonly name = "PowerCut"
}

interface Inode {
  data: string
  synced: string
}

const enoent = (path: string) => Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: "ENOENT" })

export class PowerLossFs implements FileOps {
  private readonly dirs = new Set<string>()
  private names = new Map<string, Inode>()
  private durableNames = new Map<string, Inode>()
  private readonly fds = new Map<number, { inode?: Inode; dir?: string; append: boolean }>()
  private nextFd = 3
  /** Mutating operations so far. */
  operations = 0
  /** Whether the power went: from then on every operation, reads too, throws PowerCut. */
  off = false
  private cutAt = Number.POSITIVE_INFINITY

  /** The k-th mutating operation from now on (1-based) throws PowerCut; nothing after it happens. */
  cut(k: number): void {
    this.cutAt = this.operations + k
  }

  private step(): void {
    this.alive()
    this.operations++
    if (this.operations >= this.cutAt) {
      this.off = true
      throw new PowerCut(`power lost at operation ${this.operations}`)
    }
  }

  /** Nothing runs once the power is off (error handlers included, so they cannot write either). */
  private alive(): void {
    if (this.off) throw new PowerCut("the power is off")
  }

  /** Everything so far made durable (a disk after a clean shutdown). */
  syncAll(): void {
    for (const inode of this.names.values()) inode.synced = inode.data
    this.durableNames = new Map(this.names)
  }

  /** The disk after a power loss: durable names, each file with its synced bytes. */
  afterPowerLoss(): PowerLossFs {
    const next = new PowerLossFs()
    for (const d of this.dirs) next.dirs.add(d)
    const copies = new Map<Inode, Inode>()
    for (const [name, inode] of this.durableNames) {
      const copy = copies.get(inode) ?? { data: inode.synced, synced: inode.synced }
      copies.set(inode, copy)
      next.names.set(name, copy)
    }
    next.durableNames = new Map(next.names)
    return next
  }

  /** The disk after a process crash: everything written is there; what is durable stays so. */
  afterCrash(): PowerLossFs {
    const next = new PowerLossFs()
    for (const d of this.dirs) next.dirs.add(d)
    const copies = new Map<Inode, Inode>()
    const copy = (inode: Inode) => copies.get(inode) ?? (copies.set(inode, { data: inode.data, synced: inode.synced }), copies.get(inode)!)
    for (const [name, inode] of this.names) next.names.set(name, copy(inode))
    for (const [name, inode] of this.durableNames) next.durableNames.set(name, copy(inode))
    return next
  }

  openSync(path: string, flags: "r" | "w" | "a" | "wx"): number {
    this.alive()
    const fd = this.nextFd++
    if (flags === "r") {
      if (this.dirs.has(path)) this.fds.set(fd, { dir: path, append: false })
      else {
        const inode = this.names.get(path)
        if (!inode) throw enoent(path)
        this.fds.set(fd, { inode, append: false })
      }
      return fd
    }
    if (!this.dirs.has(dirname(path))) throw enoent(path)
    const existing = this.names.get(path)
    if (flags === "wx" && existing) throw Object.assign(new Error(`EEXIST: file already exists, '${path}'`), { code: "EEXIST" })
    this.step()
    if (existing && flags === "w") existing.data = ""
    const inode = existing ?? { data: "", synced: "" }
    this.names.set(path, inode)
    this.fds.set(fd, { inode, append: flags === "a" })
    return fd
  }

  writeSync(fd: number, data: string): number {
    const f = this.fds.get(fd)
    if (!f?.inode) throw new Error(`EBADF: bad file descriptor ${fd}`)
    this.step()
    f.inode.data += data
    return data.length
  }

  fsyncSync(fd: number): void {
    const f = this.fds.get(fd)
    if (!f) throw new Error(`EBADF: bad file descriptor ${fd}`)
    this.step()
    if (f.inode) f.inode.synced = f.inode.data
    else {
      const inDir = (name: string) => dirname(name) === f.dir
      for (const name of [...this.durableNames.keys()]) if (inDir(name)) this.durableNames.delete(name)
      for (const [name, inode] of this.names) if (inDir(name)) this.durableNames.set(name, inode)
    }
  }

  closeSync(fd: number): void {
    this.alive()
    this.fds.delete(fd)
  }

  renameSync(from: string, to: string): void {
    const inode = this.names.get(from)
    if (!inode) throw enoent(from)
    this.step()
    this.names.delete(from)
    this.names.set(to, inode)
  }

  readFileSync(path: string): string {
    this.alive()
    const inode = this.names.get(path)
    if (!inode) throw enoent(path)
    return inode.data
  }

  existsSync(path: string): boolean {
    this.alive()
    return this.dirs.has(path) || this.names.has(path)
  }

  readdirSync(path: string): string[] {
    this.alive()
    if (!this.dirs.has(path)) throw enoent(path)
    return [...this.names.keys()].filter((n) => dirname(n) === path).map((n) => n.slice(path.length + 1))
  }

  mkdirSync(path: string): void {
    this.alive()
    for (let d = path; !this.dirs.has(d) && d !== dirname(d); d = dirname(d)) this.dirs.add(d)
  }

  rmSync(path: string): void {
    if (!this.names.has(path)) return
    this.step()
    this.names.delete(path)
  }
}
