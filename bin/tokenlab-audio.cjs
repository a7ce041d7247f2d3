#!/usr/bin/env node
'use strict';
// Thin launcher. A published package runs the built CLI (dist/cjs/cli.js, no loader needed on any
// Node >= 20.18.1). A git checkout that has not been built (`npm install` does not build) runs the
// TypeScript source through tsx, a dev dependency, so `npx tokenlab-audio demo` works right after
// `npm install`. TOKENLAB_AUDIO_CLI_SOURCE=1 forces the source (for working on the CLI).
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'cjs', 'cli.js');
const source = path.join(root, 'src', 'cli', 'main.ts');
const preferSource = process.env.TOKENLAB_AUDIO_CLI_SOURCE === '1' && fs.existsSync(source);

if (!preferSource && fs.existsSync(built)) {
  require(built);
} else if (fs.existsSync(source)) {
  // tsx's own loader entry ("tsx" = what `node --import tsx` loads) registers its ESM hooks.
  import('tsx')
    .catch(() => {
      process.stderr.write('tokenlab-audio: the CLI is not built (dist/ is missing) and tsx is not installed to run it from source.\n' +
        'Run `npm install` (installs tsx) or `npm run build`.\n');
      process.exit(1);
    })
    .then(() => import(pathToFileURL(source).href))
    .catch((error) => {
      process.stderr.write(`tokenlab-audio: ${error && error.message ? error.message : String(error)}\n`);
      process.exit(1);
    });
} else {
  process.stderr.write('tokenlab-audio: dist/cjs/cli.js is missing; reinstall the package.\n');
  process.exit(1);
}
