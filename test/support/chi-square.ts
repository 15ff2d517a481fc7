/**
 * Pearson's chi-square test of homogeneity for two samples of categorical
 * outcomes (are they draws from one distribution?), with categories whose
 * expected count is below 5 pooled into one, and its p-value from the
 * regularized upper incomplete gamma function.
 */

/** The test's statistic, degrees of freedom and p-value. */
export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
}

export function chiSquareHomogeneity(a: readonly string[], b: readonly string[]): ChiSquareResult {
  const counts = new Map<string, [number, number]>();
  for (const x of a) (counts.get(x) ?? counts.set(x, [0, 0]).get(x)!)[0]++;
  for (const x of b) (counts.get(x) ?? counts.set(x, [0, 0]).get(x)!)[1]++;
  const n = a.length + b.length;
  const rows: Array<[number, number]> = [];
  const pooled: [number, number] = [0, 0];
  for (const [ca, cb] of counts.values()) {
    const total = ca + cb;
    // expected count in the smaller sample
    if ((total * Math.min(a.length, b.length)) / n < 5) {
      pooled[0] += ca;
      pooled[1] += cb;
    } else {
      rows.push([ca, cb]);
    }
  }
  if (pooled[0] + pooled[1] > 0) rows.push(pooled);
  let statistic = 0;
  for (const [ca, cb] of rows) {
    const total = ca + cb;
    const ea = (total * a.length) / n;
    const eb = (total * b.length) / n;
    statistic += (ca - ea) ** 2 / ea + (cb - eb) ** 2 / eb;
  }
  const degreesOfFreedom = Math.max(1, rows.length - 1);
  return { statistic, degreesOfFreedom, pValue: upperGammaRegularized(degreesOfFreedom / 2, statistic / 2) };
}

/** Q(s, x) = Γ(s, x) / Γ(s) (Numerical Recipes: series below s + 1, continued fraction above). */
export function upperGammaRegularized(s: number, x: number): number {
  if (x <= 0) return 1;
  const lnPrefix = s * Math.log(x) - x - logGamma(s);
  if (x < s + 1) {
    let term = 1 / s;
    let sum = term;
    for (let k = 1; k < 1000; k++) {
      term *= x / (s + k);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lnPrefix);
  }
  let b = x + 1 - s;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** ln Γ(x), Lanczos approximation (g = 7, n = 9). */
export function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = g[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += g[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Pearson's chi-square goodness-of-fit test of `observed` outcomes against
 * exact `expected` probabilities (outcomes missing from `expected` have
 * probability 0 and fail the test at once); outcomes whose expected count is
 * below 5 are pooled.
 */
export function chiSquareGoodnessOfFit(observed: readonly string[], expected: ReadonlyMap<string, number>): ChiSquareResult {
  const n = observed.length;
  const counts = new Map<string, number>();
  for (const x of observed) counts.set(x, (counts.get(x) ?? 0) + 1);
  for (const x of counts.keys()) if (!((expected.get(x) ?? 0) > 0)) return { statistic: Infinity, degreesOfFreedom: 1, pValue: 0 };
  const cells: Array<[number, number]> = []; // [observed, expected count]
  const pooled: [number, number] = [0, 0];
  for (const [x, p] of expected) {
    const e = p * n;
    const o = counts.get(x) ?? 0;
    if (e < 5) {
      pooled[0] += o;
      pooled[1] += e;
    } else {
      cells.push([o, e]);
    }
  }
  if (pooled[1] > 0) cells.push(pooled);
  let statistic = 0;
  for (const [o, e] of cells) statistic += (o - e) ** 2 / e;
  const degreesOfFreedom = Math.max(1, cells.length - 1);
  return { statistic, degreesOfFreedom, pValue: upperGammaRegularized(degreesOfFreedom / 2, statistic / 2) };
}
