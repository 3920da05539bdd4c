/** A one-line-per-step progress display with elapsed time; plain lines when not a TTY (CI). */
export class Progress {
  private readonly t0 = Date.now();
  private current: { label: string; t: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty = Boolean(process.stdout.isTTY);
  private frame = 0;

  step(label: string): void {
    this.finish();
    this.current = { label, t: Date.now() };
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 120);
      this.draw();
    } else {
      process.stdout.write(`… ${label}\n`);
    }
  }

  /** Updates the running step's detail (e.g. "37 / 120 probes"). */
  detail(text: string): void {
    if (this.current) this.current.label = this.current.label.split(' — ')[0] + ' — ' + text;
    if (!this.tty && this.current) process.stdout.write(`  ${text}\n`);
  }

  private draw(): void {
    if (!this.current) return;
    const spin = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[this.frame++ % 10];
    process.stdout.write(`\r\x1b[2K${spin} ${this.current.label} (${((Date.now() - this.current.t) / 1000).toFixed(1)} s)`);
  }

  finish(note = ''): void {
    if (!this.current) return;
    clearInterval(this.timer);
    const secs = ((Date.now() - this.current.t) / 1000).toFixed(1);
    const line = `✔ ${this.current.label.split(' — ')[0]}${note ? ' — ' + note : ''} (${secs} s)`;
    process.stdout.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    this.current = undefined;
  }

  fail(message: string): void {
    clearInterval(this.timer);
    if (this.current) process.stdout.write(this.tty ? `\r\x1b[2K✖ ${this.current.label}\n` : `✖ ${this.current.label}\n`);
    this.current = undefined;
    process.stderr.write(`${message}\n`);
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.t0) / 1000;
  }
}
