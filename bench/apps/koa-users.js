'use strict';
// Koa 3 + @koa/router: GET /users/:id → small JSON.
const Koa = require('koa');
const Router = require('@koa/router');
const { ready } = require('./harness');

const app = new Koa();
const router = new Router();
router.get('/users/:id', (ctx) => {
  ctx.body = { id: ctx.params.id, name: 'Ada' };
});
app.use(router.routes());
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => ready(server));
