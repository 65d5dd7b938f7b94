/**
 * What a fuzz run found, grouped: the first input of each kind of problem is kept as its
 * reproduction, later ones only counted, so one bug does not drown the others.
 */

export interface Finding {
  /** Which property: `handshake`, `frame`, `bystander`, `gateway`. */
  area: string;
  /** Stable wording of the problem (numbers and IDs stripped), the grouping key. */
  problem: string;
  count: number;
  /** The first input that showed it, as sent (JSON-ish text). */
  input: string;
  /** What the gateway did with that input. */
  observed: string;
  /** Distinct labels of the inputs that showed it (e.g. request names), the first few. */
  variants: string[];
}

const MAX_TEXT = 1500;
const MAX_VARIANTS = 12;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} chars)` : text;
}

/** Wording without the parts that vary per input (quoted values, long numbers), so one bug is one finding. */
export function problemKey(text: string): string {
  return text
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d{6,}/g, 'N')
    .slice(0, 240);
}

export class Findings {
  readonly #byKey = new Map<string, Finding>();

  add(area: string, problem: string, input: string, observed: string, variant?: string): void {
    const key = `${area}: ${problemKey(problem)}`;
    const seen = this.#byKey.get(key);
    if (seen) {
      seen.count++;
      if (variant !== undefined && seen.variants.length < MAX_VARIANTS && !seen.variants.includes(variant)) seen.variants.push(variant);
      return;
    }
    this.#byKey.set(key, {
      area,
      problem: problemKey(problem),
      count: 1,
      input: clip(input),
      observed: clip(observed),
      variants: variant === undefined ? [] : [variant],
    });
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Inputs that showed a problem, all kinds together. */
  get total(): number {
    let n = 0;
    for (const f of this.#byKey.values()) n += f.count;
    return n;
  }

  all(): Finding[] {
    return [...this.#byKey.values()];
  }
}
