#!/usr/bin/env node
// The `unirl` command: runs the bundled CLI (built by `npm install` through the `prepare` script).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'unirl.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`unirl: ${bundle} is missing; run \`npm run build\` in ${path.dirname(__dirname)} first.\n`);
  process.exit(1);
}
require(bundle);
