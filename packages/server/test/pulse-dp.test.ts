/**
 * Differential privacy for org-level Pulse figures (pulse/dp.ts): the noise has the Laplace
 * distribution of the stated scale (Kolmogorov-Smirnov against the Laplace CDF, fixed key so
 * the run is reproducible, with a check that a wrong scale would fail the same test), the
 * uniforms behind it are uniform (chi-square), and noisy cells are deterministic per true
 * value, fresh when the value changes, integers >= 0, and suppressed cells stay without figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { laplaceInverse, noisyCell, scales, uniformOf, DAY_SECONDS } from '../src/pulse/dp.js';

const KEY = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 255);
const N = 20_000;
/** Laplace(0, b) CDF. */
const cdf = (x: number, b: number) => (x < 0 ? 0.5 * Math.exp(x / b) : 1 - 0.5 * Math.exp(-x / b));
/** Kolmogorov-Smirnov statistic of `xs` against `F`. */
function ks(xs: number[], F: (x: number) => number): number {
  const s = [...xs].sort((a, b) => a - b);
  let d = 0;
  s.forEach((x, i) => {
    const f = F(x);
    d = Math.max(d, Math.abs((i + 1) / s.length - f), Math.abs(f - i / s.length));
  });
  return d;
}
/** The 1% critical value of the one-sample KS test for large n. */
const KS_CRIT = 1.628 / Math.sqrt(N);

test('uniformOf: uniform on (0, 1) (chi-square, 20 bins, 1% level) and never 0 or 1', () => {
  const bins = new Array(20).fill(0);
  for (let i = 0; i < N; i++) {
    const u = uniformOf(KEY, `u${i}`);
    assert.ok(u > 0 && u < 1);
    bins[Math.floor(u * 20)]++;
  }
  const e = N / 20;
  const chi = bins.reduce((n, o) => n + (o - e) ** 2 / e, 0);
  assert.ok(chi < 36.19, `chi-square ${chi.toFixed(2)} (19 degrees of freedom, 1% critical 36.19)`);
});

test('laplace noise: KS against Laplace(0, b) passes at the right scale and fails at a wrong one; mean 0, mean |x| = b', () => {
  for (const b of [1, 4, 345_600]) {
    const xs = Array.from({ length: N }, (_, i) => laplaceInverse(uniformOf(KEY, `n${b}:${i}`), b));
    const d = ks(xs, (x) => cdf(x, b));
    assert.ok(d < KS_CRIT, `D = ${d.toFixed(4)} at b = ${b} (critical ${KS_CRIT.toFixed(4)})`);
    assert.ok(ks(xs, (x) => cdf(x, 1.2 * b)) > KS_CRIT, 'the test has the power to see a 20% wrong scale');
    assert.ok(ks(xs, (x) => cdf(x - 0.1 * b, b)) > KS_CRIT, 'and a shifted centre');
    const mean = xs.reduce((n, x) => n + x, 0) / N;
    const mad = xs.reduce((n, x) => n + Math.abs(x), 0) / N;
    // Standard error of the mean: b·√2/√N; of mean |x|: b/√N.
    assert.ok(Math.abs(mean) < 4 * b * Math.SQRT2 / Math.sqrt(N), `mean ${mean}`);
    assert.ok(Math.abs(mad - b) < 4 * b / Math.sqrt(N), `mean |x| ${mad} vs ${b}`);
  }
});

test('noisy cells: the released figures minus the truth follow Laplace at scale sensitivity / (ε/4)', () => {
  for (const [eps, days] of [[1, 1], [0.5, 7]] as const) {
    const b = scales(eps, days);
    assert.equal(b.seconds, (DAY_SECONDS * days * 4) / eps);
    assert.equal(b.people, 4 / eps);
    const truth = 1e9; // far from 0, so clamping never happens
    const dev: number[] = [];
    for (let i = 0; i < N; i++) {
      const c = noisyCell(KEY, eps, 'org', { period: `p${i}`, category: 'development', released: true, people: 1000, active_s: truth, idle_s: truth, work_s: truth }, days);
      dev.push(c.active_s! - truth);
    }
    const d = ks(dev, (x) => cdf(x, b.seconds));
    assert.ok(d < KS_CRIT, `D = ${d.toFixed(4)} at ε = ${eps}, ${days} day(s)`);
  }
});

test('property: noisy cells are integers >= 0, the same for the same truth, fresh for another truth; suppressed cells carry no figures', () => {
  const cell = fc.record({ period: fc.constantFrom('2026-11-02', '2026-11-03'), category: fc.constantFrom('development', 'meetings'), people: fc.integer({ min: 3, max: 5000 }), active_s: fc.integer({ min: 0, max: 1e9 }), idle_s: fc.integer({ min: 0, max: 1e9 }), work_s: fc.integer({ min: 0, max: 1e9 }) });
  fc.assert(
    fc.property(cell, fc.double({ min: 0.01, max: 10, noNaN: true }), fc.integer({ min: 1, max: 7 }), (c, eps, days) => {
      const x = noisyCell(KEY, eps, 'org', { ...c, released: true }, days);
      for (const f of ['people', 'active_s', 'idle_s', 'work_s'] as const) assert.ok(Number.isInteger(x[f]) && x[f]! >= 0);
      assert.deepEqual(noisyCell(KEY, eps, 'org', { ...c, released: true }, days), x, 'asked again: the same noise, nothing to average');
      const y = noisyCell(KEY, eps, 'org', { ...c, released: true, active_s: c.active_s + 1 }, days);
      assert.notEqual(y.active_s! - (c.active_s + 1), x.active_s! - c.active_s, 'another truth: independent noise, the difference does not cancel');
      assert.deepEqual(noisyCell(KEY, eps, 'org', { period: c.period, category: c.category, released: false }, days), { period: c.period, category: c.category, released: false });
    }),
    { numRuns: 300, seed: 1616 },
  );
});
