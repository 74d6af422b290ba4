import { allFigures } from './helpers/figures';

// A root-level hook: runs once after every unit suite, so the figures can be quoted.
after(() => {
  const f = allFigures();
  if (f.size === 0) return;
  const width = Math.max(...[...f.keys()].map((k) => k.length));
  console.log('\n  Robustness figures');
  for (const [k, v] of [...f.entries()].sort()) console.log(`    ${k.padEnd(width)}  ${v}`);
});
