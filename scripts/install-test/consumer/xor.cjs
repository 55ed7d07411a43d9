// CommonJS consumer: require('oxnet') and print one JSON line.
'use strict';
const oxnet = require('oxnet');
const { xorTask } = require('./xor-task.cjs');

xorTask(oxnet, __dirname).then((report) => console.log(JSON.stringify({ ...report, module: 'cjs' })));
