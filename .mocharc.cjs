// Unit tier (`npm run test:unit`): the compiled tests under out/. On CI (CI is set, as .ci/run does)
// a stray `.only` or a pending test (`it.skip`, `this.skip()`, an `it` without a body) fails the run.
const ci = Boolean(process.env.CI);

module.exports = {
  spec: ['out/test/unit/**/*.test.js'],
  timeout: 20000,
  'enable-source-maps': true,
  reporter: 'spec',
  'forbid-only': ci,
  'forbid-pending': ci,
  // The user's real state directory is never touched (a temporary one unless a test sets its own).
  require: [require('node:path').join(__dirname, 'out', 'test', 'unit', 'setup.js')],
};
