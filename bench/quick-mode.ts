/** `NACT_BENCH_QUICK=1`: benchmarks that honour it run on small inputs, to smoke-test them in seconds (ratios are then not meaningful). */
export const QUICK_BENCH = process.env['NACT_BENCH_QUICK'] === '1';
