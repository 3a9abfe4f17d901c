// The quick-start example's handler, unchanged: the benchmarks measure the guards, not the function.
export { handler } from '../../../../examples/hello/src/index.ts';
