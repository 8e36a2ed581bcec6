// The gateway (Express): POST /checkout authenticates the user with the auth
// service (axios), reads the product and its stock from the catalog and records
// the order there (fetch). Traced with one line, app.use(tracing()), plus two
// manual spans for the steps no single call shows.
const express = require('express');
const axios = require('axios');
const { tracing } = require('@tracewire/express');
const { trace } = require('@tracewire/core');

const AUTH_URL = process.env.AUTH_URL;
const CATALOG_URL = process.env.CATALOG_URL;

const app = express();
app.use(tracing()); // first: every request is a span, and so is every call it makes
app.use((req, res, next) => {
  // Optional: tell the caller which trace its request is (the load script prints it).
  res.set('x-trace-id', trace.activeSpan()?.spanContext().traceId ?? '');
  next();
});
app.use(express.json());

async function catalog(method, path, body) {
  const res = await fetch(CATALOG_URL + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body && JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw Object.assign(new Error(`catalog: ${data.error}`), { status: res.status });
  return data;
}

async function checkout(req, res) {
  const sku = req.body?.sku ?? req.query.sku ?? 'book';
  const quantity = Number(req.body?.quantity ?? req.query.quantity ?? 1);

  const userId = await trace.span('auth_service', async (span) => {
    const { data } = await axios.get(`${AUTH_URL}/verify`, { headers: { authorization: req.get('authorization') ?? '' } });
    span.addEvent('authenticated');
    span.setAttribute('user.id', data.userId);
    return data.userId;
  });

  const order = await trace.span('product_service', async (span) => {
    span.setAttribute('product.sku', sku);
    const product = await catalog('GET', `/products/${encodeURIComponent(sku)}`);
    const stock = await catalog('GET', `/inventory/${encodeURIComponent(sku)}`);
    if (stock.inStock < quantity) throw Object.assign(new Error(`${sku} is out of stock`), { status: 409 });
    const { orderId } = await catalog('POST', '/orders', { sku, quantity, userId });
    return { orderId, sku, quantity, totalCents: product.price_cents * quantity };
  });

  res.status(201).json(order);
}

app.post('/checkout', checkout);
app.get('/checkout', checkout); // for curl and the browser

app.use((error, req, res, next) => {
  const status = error.status ?? 500; // axios and catalog() errors carry the upstream status
  res.status(status).json({ error: error.message });
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`); // start.js reads the port from this line
});
