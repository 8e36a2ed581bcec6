// Service B: answers /price and /stock. No tracing code: started with
// `node -r @tracewire/register b.js`.
const http = require('http');

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://b');
  if (url.pathname === '/price') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ sku: url.searchParams.get('sku'), price: 42 }));
  } else if (url.pathname === '/stock') {
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ inStock: true }));
    }, 5);
  } else {
    res.statusCode = 404;
    res.end('not found');
  }
});

server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  // The parent reads the port from the first line.
  process.stdout.write(`listening ${server.address().port}\n`);
});
