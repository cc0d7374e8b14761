/**
 * Runs async jobs one at a time, keeping only the newest job that waits: a learner who presses
 * Run ten times while the first one starts wants the last Run, not ten in a row.
 */
export class LatestOnly<T> {
  private waiting: { item: T } | undefined;
  private running = false;

  /**
   * `job` gets each item in turn and a `superseded()` that turns true once a newer item waits
   * (a job checks it between its steps and gives up early). A job that throws goes to `failed`.
   */
  constructor(
    private readonly job: (item: T, superseded: () => boolean) => Promise<void>,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Queues `item`, replacing any item that has not started yet. */
  submit(item: T): void {
    this.waiting = { item };
    if (!this.running) void this.drain();
  }

  /** Forgets the item that has not started yet, if any. */
  dropWaiting(): void {
    this.waiting = undefined;
  }

  /** No job is running or waiting. */
  get idle(): boolean {
    return !this.running && this.waiting === undefined;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting) {
        const { item } = this.waiting;
        this.waiting = undefined;
        try {
          await this.job(item, () => this.waiting !== undefined);
        } catch (error) {
          this.failed(error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
