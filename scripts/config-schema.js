// Writes dist/cf-rotate.schema.json from the zod schema in src/core/config/schema.ts.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

function writeConfigJsonSchema(outFile) {
  const root = path.join(__dirname, '..');
  const result = esbuild.buildSync({
    entryPoints: [path.join(root, 'src/core/config/schema.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'error',
  });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(mod, mod.exports, require);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(mod.exports.configJsonSchema(), null, 2)}\n`);
}

module.exports = { writeConfigJsonSchema };
if (require.main === module) writeConfigJsonSchema(process.argv[2] || path.join(__dirname, '..', 'dist', 'cf-rotate.schema.json'));
