'use strict';
// Hop 2 of the two-hop scenario: Express GET /price runs one query on a pg Pool.
const express = require('express');
const { Pool } = require('pg');
const { ready } = require('./harness');

const pool = new Pool({
  connectionString: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
  max: 10,
});

const app = express();
app.get('/price', async (req, res, next) => {
  try {
    const { rows } = await pool.query('SELECT $1::int AS price', [21]);
    res.json({ sku: req.query.sku, price: rows[0].price });
  } catch (error) {
    next(error);
  }
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => ready(server));
