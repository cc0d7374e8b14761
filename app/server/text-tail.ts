/**
 * The last `max` characters of a stream (the shell's scrollback, the Trace output's tail). An
 * append copies the kept text only once it has grown to twice `max`, not at every batch of a
 * busy stream.
 */
export class TextTail {
  private text = '';

  constructor(private readonly max: number) {}

  append(more: string): void {
    this.text += more;
    if (this.text.length > 2 * this.max) this.text = this.text.slice(-this.max);
  }

  /** At most the last `max` characters. */
  get value(): string {
    if (this.text.length > this.max) this.text = this.text.slice(-this.max);
    return this.text;
  }
}
