/** Timers and background tasks of the batch job state machines; close() cancels the timers and waits for the tasks. */
export class Background {
  readonly #sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  readonly #tasks = new Set<Promise<void>>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves after `ms`, or at once when close() is called; callers check `closed` after waking. */
  sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.#sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.#sleepers.add(sleeper);
    });
  }

  /** Runs `task` in the background; close() waits for it. Nothing starts after close. */
  run(task: () => Promise<void>): void {
    if (this.#closed) return;
    const running = task();
    this.#tasks.add(running);
    void running.then(
      () => this.#tasks.delete(running),
      () => this.#tasks.delete(running),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const sleeper of this.#sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    this.#sleepers.clear();
    await Promise.allSettled([...this.#tasks]);
  }
}
