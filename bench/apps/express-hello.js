'use strict';
// Express 5 hello world: GET / → small JSON.
const express = require('express');
const { ready } = require('./harness');

const app = express();
app.get('/', (req, res) => {
  res.json({ hello: 'world' });
});
const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => ready(server));
