'use strict';
// Hop 1 of the two-hop scenario: Express GET /checkout calls the price
// service with axios and answers with the total.
const axios = require('axios');
const express = require('express');
const { ready } = require('./harness');

const priceUrl = process.env.PRICE_URL;
if (!priceUrl) throw new Error('checkout.js needs PRICE_URL (the price service base URL)');
const client = axios.create({ baseURL: priceUrl, timeout: 10_000 });

const app = express();
app.get('/checkout', async (req, res, next) => {
  try {
    const { data } = await client.get('/price', { params: { sku: '42' } });
    res.json({ sku: '42', total: data.price * 2 });
  } catch (error) {
    next(error);
  }
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => ready(server));
