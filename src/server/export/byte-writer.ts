/**
 * An export batch written straight into one growing byte buffer. Building each record as strings
 * and UTF-8-encoding the batch at the end made the garbage collector the largest CPU cost of an
 * export at 1M rows (a dozen short-lived strings a row, plus the batch's rope of concatenations);
 * here the values go from node-postgres's strings into the buffer and die young.
 */
export class ByteWriter {
  private buf: Buffer;
  private at = 0;

  constructor(expectedBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(4096, expectedBytes));
  }

  get length(): number {
    return this.at;
  }

  room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    this.room(s.length * 3);
    this.at += this.buf.write(s, this.at, "utf8");
  }

  /** Text known to be ASCII (UUIDs, numbers, enum labels, ISO timestamps): one byte a character. */
  ascii(s: string): void {
    this.room(s.length);
    this.at += this.buf.write(s, this.at, "latin1");
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** Writes `"YYYY-MM-DDTHH:MM:SS.mmmZ"` from a utcJson value (`"YYYY-MM-DDTHH:MM:SS[.ffffff]"`) at `s[i, end)`; false if it is not one. */
  isoFromUtcJson(s: string, i: number, end: number): boolean {
    const len = end - i;
    if (
      !(
        len >= 21 &&
        len <= 28 &&
        s.charCodeAt(i) === 34 &&
        s.charCodeAt(i + 5) === 45 &&
        s.charCodeAt(i + 11) === 84 &&
        (len === 21 || s.charCodeAt(i + 20) === 46)
      )
    ) {
      return false;
    }
    this.room(24);
    const buf = this.buf;
    let at = this.at;
    for (let k = i + 1; k < i + 20; k++) buf[at++] = s.charCodeAt(k);
    buf[at++] = 46; // .
    // Milliseconds: the first three digits of the fraction (truncated, as Date and to_char's MS do), zero-padded.
    for (let k = i + 21; k < i + 24; k++) buf[at++] = k < end - 1 ? s.charCodeAt(k) : 48;
    buf[at++] = 90; // Z
    this.at = at;
    return true;
  }

  /** The bytes in [start, end) written so far (a view, not a copy). */
  slice(start = 0, end = this.at): Uint8Array {
    return this.buf.subarray(start, end);
  }
}
