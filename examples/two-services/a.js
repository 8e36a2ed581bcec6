// Service A: /checkout calls service B three ways (axios, fetch, http.get).
// No tracing code: started with `node -r @tracewire/register a.js`.
const http = require('http');
const axios = require('axios');

const B = process.env.B_URL;

function httpGetJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  if (!req.url.startsWith('/checkout')) {
    res.statusCode = 404;
    return res.end('not found');
  }
  try {
    const price = (await axios.get(`${B}/price?sku=book`)).data;
    const stock = await (await fetch(`${B}/stock`)).json();
    const again = await httpGetJson(`${B}/price?sku=pen`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ price, stock, again }));
  } catch (error) {
    res.statusCode = 502;
    res.end(String(error && error.message));
  }
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
