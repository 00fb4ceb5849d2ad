/** Runs async sections one at a time, in call order; a failing section does not block the next. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn)
    this.tail = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
}
