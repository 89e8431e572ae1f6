// A progress line for long commands: redrawn in place on a terminal, one line every
// few seconds otherwise (CI logs), never more than a few times a second.

export class Progress {
  private last = Date.now();
  private shown = false;
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly label: string, private readonly everyMs?: number) {
    this.tty = Boolean(stream.isTTY);
  }

  update(text: string): void {
    const now = Date.now();
    if (now - this.last < (this.everyMs ?? (this.tty ? 200 : 5000))) return;
    this.last = now;
    this.shown = true;
    if (this.tty) this.stream.write(`\r\x1b[2K${this.label}: ${text}`);
    else this.stream.write(`${this.label}: ${text}\n`);
  }

  done(): void {
    if (this.shown && this.tty) this.stream.write('\r\x1b[2K');
  }
}
