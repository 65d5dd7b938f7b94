/**
 * Turns the core's stdout/stderr byte stream into log lines. Output arrives in arbitrary
 * chunks (Go flushes per write), so partial lines are held until their newline. A line
 * longer than `maxLineChars` is cut, so a core printing without newlines cannot grow
 * memory without bound.
 */
export class OutputLines {
  #partial = '';
  readonly #emit: (line: string) => void;
  readonly #maxLineChars: number;

  constructor(emit: (line: string) => void, maxLineChars = 16_384) {
    this.#emit = emit;
    this.#maxLineChars = maxLineChars;
  }

  push(text: string): void {
    let rest = this.#partial + text;
    let nl = rest.indexOf('\n');
    while (nl !== -1) {
      this.#emit(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
    while (rest.length > this.#maxLineChars) {
      this.#emit(rest.slice(0, this.#maxLineChars));
      rest = rest.slice(this.#maxLineChars);
    }
    this.#partial = rest;
  }

  flush(): void {
    if (this.#partial) this.#emit(this.#partial);
    this.#partial = '';
  }
}
