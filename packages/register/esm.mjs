// `node --import @tracewire/register app.mjs` (or NODE_OPTIONS="--import @tracewire/register"):
// the same preload as `-r`. ES modules that import express, koa or pg load
// those CommonJS packages through Module.prototype.load, where core's hook
// patches them; builtins (node:http, node:https) imported from ESM never pass
// through require(), so dist/index.js patches them at once when the entry is
// ESM, and lazily (on first require) when it is CommonJS — NODE_OPTIONS puts
// this file in front of every node process, and a CommonJS one should not pay
// for loading http. No module.register loader hooks are needed for what
// tracewire instruments (see README.md, "ES modules").
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('./dist/index.js');
