'use strict';
// The HTTP scenarios of the issue (items 1-3): which app processes to start,
// which URL the load hits, and how many spans a request must produce for
// tracewire to count as doing the whole job.
const path = require('node:path');

const app = (file) => path.join(__dirname, '..', 'apps', file);

const SCENARIOS = [
  {
    name: 'express',
    title: 'Express 5 hello (GET /)',
    processes: [{ service: 'express-hello', script: app('express-hello.js') }],
    path: '/',
    otelInstrumentations: ['http', 'express'],
    requiredSpans: 1,
    requiredNote: 'SERVER span named after the route',
  },
  {
    name: 'koa',
    title: 'Koa 3 + @koa/router (GET /users/:id)',
    processes: [{ service: 'koa-users', script: app('koa-users.js') }],
    path: '/users/42',
    otelInstrumentations: ['http', 'koa'],
    requiredSpans: 1,
    requiredNote: 'SERVER span named after the route',
  },
  {
    name: 'checkout',
    title: 'two hops: Express /checkout → axios → Express /price → pg',
    // Started in order; a process's env can refer to the ports of those before it.
    processes: [
      { service: 'price', script: app('price.js') },
      { service: 'checkout', script: app('checkout.js'), env: (ports) => ({ PRICE_URL: `http://127.0.0.1:${ports[0]}` }) },
    ],
    path: '/checkout',
    otelInstrumentations: ['http', 'express', 'pg'],
    needsPostgres: true,
    requiredSpans: 4,
    requiredNote: 'SERVER checkout, CLIENT axios, SERVER price, CLIENT pg query',
  },
];

module.exports = { SCENARIOS };
