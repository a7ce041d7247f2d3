#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is built to dist/cjs/cli.js so it runs on every Node >= 20.18.1 without a loader.
require('../dist/cjs/cli.js');
