// The auth service (Koa + @koa/router): GET /verify answers which user a token
// belongs to. No tracing code at all: start.js runs it with
// `node -r @tracewire/register auth.js`, and the preload traces it.
const Koa = require('koa');
const Router = require('@koa/router');

const USERS_BY_TOKEN = { 'token-alice': 'alice', 'token-bob': 'bob' };

const router = new Router();
router.get('/verify', (ctx) => {
  const token = (ctx.get('authorization') || '').replace(/^Bearer /, '');
  const userId = USERS_BY_TOKEN[token];
  if (!userId) ctx.throw(401, 'unknown token');
  ctx.body = { userId };
});

const app = new Koa();
app.use(router.routes());

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`); // start.js reads the port from this line
});
