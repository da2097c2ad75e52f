/**
 * Printing for the client. Human mode writes text with ✓ / ✗ / ⏸ markers
 * (coloured only on a terminal without NO_COLOR); JSON mode writes exactly one JSON object per
 * invocation to stdout, and nothing else there.
 */

export interface Streams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export class Output {
  private emitted = false;
  private readonly colourOut: boolean;
  private readonly colourErr: boolean;

  constructor(
    readonly json: boolean,
    readonly quiet: boolean,
    readonly verbose: boolean,
    private readonly streams: Streams = { stdout: process.stdout, stderr: process.stderr },
    env: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    const allowed = !json && env.NO_COLOR === undefined && env.TERM !== 'dumb';
    this.colourOut = allowed && streams.stdout.isTTY === true;
    this.colourErr = allowed && streams.stderr.isTTY === true;
  }

  /** Colours text for stdout (`err`: for stderr) when that stream is a terminal. */
  paint(colour: Colour, text: string, err = false): string {
    return (err ? this.colourErr : this.colourOut) ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
  }

  /** A line on stdout (human mode only). */
  line(text = ''): void {
    if (!this.json) this.streams.stdout.write(text + '\n');
  }

  /** Raw text on stdout (human mode only), e.g. a DOT graph. */
  raw(text: string): void {
    if (!this.json) this.streams.stdout.write(text);
  }

  /** A non-essential line on stdout (suppressed by --quiet). */
  info(text: string): void {
    if (!this.quiet) this.line(text);
  }

  /** A line on stderr (human mode only). */
  error(text: string): void {
    if (!this.json) this.streams.stderr.write(text + '\n');
  }

  /** A diagnostic line on stderr with --verbose (in both modes: stdout stays clean). */
  debug(text: string): void {
    if (this.verbose) this.streams.stderr.write(this.paint('dim', text, true) + '\n');
  }

  /** The invocation's JSON object (JSON mode only; the first call wins). */
  result(value: Readonly<Record<string, unknown>>): void {
    if (!this.json || this.emitted) return;
    this.emitted = true;
    this.streams.stdout.write(JSON.stringify(value) + '\n');
  }

  get resultEmitted(): boolean {
    return this.emitted;
  }

  ok(text: string): string {
    return `${this.paint('green', '✓')} ${text}`;
  }

  fail(text: string): string {
    return `${this.paint('red', '✗', true)} ${text}`;
  }

  paused(text: string): string {
    return `${this.paint('yellow', '⏸')} ${text}`;
  }
}

/** A JSON value on one line, for human listings. */
export function compactJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text;
}
