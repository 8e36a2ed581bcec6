// The catalog service (Express + pg): products, stock and orders in PostgreSQL.
// It is built like any app; the last lines mount tracing on the finished app
// object with instrument(app), the way to trace an app someone else built.
const express = require('express');
const { Pool } = require('pg');

const db = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const app = express();
app.use(express.json());

app.get('/products/:sku', async (req, res) => {
  const { rows } = await db.query('SELECT sku, name, price_cents FROM shop.products WHERE sku = $1', [req.params.sku]);
  if (rows.length === 0) return res.status(404).json({ error: `no product ${req.params.sku}` });
  // The failing path: this product's page reads a table nobody created, so the SQL error becomes a 500.
  if (req.params.sku === 'broken') await db.query('SELECT * FROM shop.product_reviews WHERE sku = $1', [req.params.sku]);
  res.json(rows[0]);
});

app.get('/inventory/:sku', async (req, res) => {
  // The slow path: slow-* products are counted in a slow warehouse.
  if (req.params.sku.startsWith('slow-')) await db.query('SELECT pg_sleep(0.3)');
  const { rows } = await db.query('SELECT in_stock FROM shop.inventory WHERE sku = $1', [req.params.sku]);
  res.json({ sku: req.params.sku, inStock: rows.length ? rows[0].in_stock : 0 });
});

app.post('/orders', async (req, res) => {
  const { sku, quantity, userId } = req.body;
  const { rows } = await db.query(
    'INSERT INTO shop.orders (sku, quantity, user_id) VALUES ($1, $2, $3) RETURNING id',
    [sku, quantity, userId],
  );
  res.status(201).json({ orderId: rows[0].id });
});

app.use((error, req, res, next) => res.status(500).json({ error: error.message }));

require('@tracewire/express').instrument(app);

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`); // start.js reads the port from this line
});
