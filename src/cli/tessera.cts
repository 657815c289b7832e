#!/usr/bin/env node
// The `tessera` command and `npm start`: sizes libuv's thread pool (see config/threadpool.cts), then runs
// the CLI. `node dist/cli/main.js` still works, with libuv's default pool.
import os = require('node:os')
import threadpool = require('../config/threadpool.cjs')

threadpool.chooseThreadpoolSize(os.availableParallelism())
void import('./main.js')
