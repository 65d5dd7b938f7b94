/** Reading single figures out of a Prometheus text exposition (GET /metrics). */

/**
 * The sum of every sample of metric `name` (all label sets), or undefined when the text
 * has no sample of it: a gauge this build does not export reads as "n/a", not as 0.
 */
export function metricSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // `name_total` and `name_bucket` share the prefix: only `name ` or `name{` is this metric.
    if (!rest.startsWith(' ') && !rest.startsWith('{')) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isNaN(value)) continue;
    sum = (sum ?? 0) + value;
  }
  return sum;
}
