// Stop strings over streamed text: text is released only once it cannot be the start of a stop string,
// so a stop string split across tokens ("<|" then "end|>") is never emitted, nor anything after it.

export class StopFilter {
  private held = '';
  private stoppedAt = false;

  constructor(private readonly stops: readonly string[]) {}

  /** True once a stop string has been seen (the caller ends generation). */
  get stopped(): boolean {
    return this.stoppedAt;
  }

  /** Takes the next piece of text and returns what can be emitted now ('' while a stop string may be forming). */
  push(text: string): string {
    if (this.stoppedAt) return '';
    this.held += text;
    let cut = -1;
    for (const s of this.stops) {
      const at = this.held.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stoppedAt = true;
      const out = this.held.slice(0, cut);
      this.held = '';
      return out;
    }
    // Keep the longest tail of the text that is a proper prefix of some stop string.
    let keep = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, this.held.length); n > keep; n--) {
        if (this.held.endsWith(s.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    const out = this.held.slice(0, this.held.length - keep);
    this.held = this.held.slice(this.held.length - keep);
    return out;
  }

  /** The text still held back when generation ends without a stop string. */
  flush(): string {
    const out = this.stoppedAt ? '' : this.held;
    this.held = '';
    return out;
  }
}
