// `npm start`: the shop demo. Starts the tracewire viewer, a PostgreSQL, the
// three services (each traced a different way) and a few checkouts, prints
// each checkout's trace as a waterfall, then stays up until Ctrl-C so you can
// explore the traces on the viewer's web page.
//
//   node start.js [--once] [--requests N] [--embedded-postgres] [--otlp-port N] [--port N]
//
// --once: drive the checkouts, wait for their traces, print a summary and exit.
const { spawn } = require('child_process');
const { startViewer } = require('@tracewire/viewer');
const { openDatabase, seed } = require('./db');
const { driveLoad, CHECKOUTS } = require('./load');

/** The viewer on the ports asked for, or on free ones where those are taken. */
async function openViewer(ports, print, log) {
  for (;;) {
    try {
      return await startViewer({ ...ports, print });
    } catch (error) {
      const key = error.role === 'otlp' ? 'otlpPort' : 'httpPort';
      if (error.code !== 'EADDRINUSE' || ports[key] === 0) throw error;
      log(`${error.message}: using a free port instead.`);
      ports = { ...ports, [key]: 0 };
    }
  }
}

/** Runs `<name>.js` in a child process; resolves with its URL once it listens. */
function startService(name, { nodeArgs = [], env }) {
  const child = spawn(process.execPath, [...nodeArgs, `${name}.js`], {
    cwd: __dirname,
    env: { ...process.env, ...env, OTEL_SERVICE_NAME: name, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); // it flushes its spans, then exits
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal || `code ${code}`}) before listening`)));
    let output = '';
    const onData = (chunk) => {
      const port = /listening (\d+)/.exec((output += chunk))?.[1];
      if (!port) return;
      child.stdout.off('data', onData).pipe(process.stdout); // anything the service prints later
      resolve({ name, url: `http://127.0.0.1:${port}`, stop });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
  });
}

/** Resolves once the viewer has finished (and printed) the trace, or after `ms`. */
async function waitForTrace(store, traceId, ms = 5000) {
  const deadline = Date.now() + ms;
  while (traceId && !store.get(traceId)?.finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return store.get(traceId);
}

/**
 * Starts everything. `ports: 0` puts the viewer on free ports (tests);
 * `print: false` or a stream for the viewer's waterfalls; `log` for the rest.
 */
async function startShop({ ports = { otlpPort: 4318, httpPort: 16686 }, print = true, log = console.log, embeddedPostgres = false } = {}) {
  if (ports === 0) ports = { otlpPort: 0, httpPort: 0 };
  const running = []; // stop functions, in start order
  const stop = async () => {
    for (const stopOne of running.splice(0).reverse()) await stopOne().catch((error) => log(`stopping: ${error.message}`));
  };
  try {
    const viewer = await openViewer(ports, print, log);
    running.push(() => viewer.close());
    log(`viewer    ${viewer.webUrl}   (receives OTLP at ${viewer.otlpUrl})`);

    const database = await openDatabase({ embedded: embeddedPostgres, log });
    running.push(() => database.close());
    await seed(database.url);
    log(`database  ${database.url.replace(/:[^:@/]*@/, ':***@')}   (${database.source}, schema "shop")`);

    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: viewer.otlpUrl.replace(/\/v1\/traces$/, ''),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: viewer.otlpUrl, // wins over one set in your shell
      OTEL_BSP_SCHEDULE_DELAY: '200', // export every 200 ms instead of 5 s: traces show at once
    };
    const auth = await startService('auth', { nodeArgs: ['-r', '@tracewire/register'], env: otel });
    running.push(auth.stop);
    log(`auth      ${auth.url}   (Koa, no tracing code: node -r @tracewire/register auth.js)`);
    const catalog = await startService('catalog', { env: { ...otel, DATABASE_URL: database.url } });
    running.push(catalog.stop);
    log(`catalog   ${catalog.url}   (Express + pg, require('@tracewire/express').instrument(app))`);
    const gateway = await startService('gateway', { env: { ...otel, AUTH_URL: auth.url, CATALOG_URL: catalog.url } });
    running.push(gateway.stop);
    log(`gateway   ${gateway.url}   (Express, app.use(tracing()))`);

    /** Sends `requests` checkouts, each followed by a wait for its trace (so its waterfall prints right under it). */
    const drive = (requests = CHECKOUTS.length) =>
      driveLoad(gateway.url, { requests, log, after: (result) => waitForTrace(viewer.store, result.traceId) });
    return { viewer, database, urls: { gateway: gateway.url, auth: auth.url, catalog: catalog.url }, drive, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What the checkouts left in the viewer, in a few lines; `complete` when every checkout has its trace. */
function summary(results, viewer) {
  const traces = results.map((r) => ({ ...r, trace: viewer.store.summary(r.traceId) }));
  const found = traces.filter((t) => t.trace);
  const services = [...new Set(found.flatMap((t) => t.trace.services))].sort();
  const link = (t) => `${viewer.webUrl}/#${t.traceId}`;
  const lines = [`${results.length} checkouts → ${found.length} traces in the viewer, services: ${services.join(', ') || 'none'}`];
  for (const t of found.filter((f) => f.what !== 'normal')) {
    const what = t.trace.errorCount > 0 ? `failed   ${t.sku} → ${t.status}, ${t.trace.errorCount} error spans` : `slow     ${t.sku} ${t.trace.durationMs.toFixed(1)} ms`;
    lines.push(`  ${what}   ${link(t)}`);
  }
  return { text: lines.join('\n'), complete: found.length === results.length };
}

function parseArgs(argv) {
  const value = (flag, fallback) => (argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : fallback);
  return {
    once: argv.includes('--once'),
    requests: value('--requests', CHECKOUTS.length),
    embeddedPostgres: argv.includes('--embedded-postgres'),
    ports: { otlpPort: value('--otlp-port', 4318), httpPort: value('--port', 16686) },
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!(args.requests >= 0)) throw new Error('--requests needs a number');
  const starting = startShop(args);
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    const shop = await starting.catch(() => undefined);
    await shop?.stop();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) process.exit(1); // a second Ctrl-C: do not wait any longer
      console.log(`\n${signal}: stopping the services, the database and the viewer…`);
      shutdown(0);
    });
  }

  const shop = await starting;
  console.log(`\nDriving ${args.requests} checkouts (normal, slow, failing); each trace prints when it is complete:\n`);
  const results = await shop.drive(args.requests);
  const { text, complete } = summary(results, shop.viewer);
  console.log(`\n${text}`);
  if (args.once) {
    if (!complete) console.log('Some checkouts have no trace in the viewer: is tracing disabled (OTEL_SDK_DISABLED)?');
    return shutdown(complete ? 0 : 1);
  }
  console.log(`
Open ${shop.viewer.webUrl} to explore the traces (filter by service, status, duration; click a span for details).
More checkouts:  node examples/shop/load.js ${shop.urls.gateway} 4
        or:      curl -H 'authorization: Bearer token-alice' '${shop.urls.gateway}/checkout?sku=book'
Ctrl-C stops everything.`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`The shop demo could not start: ${error.message}`);
    process.exit(1);
  });
}

module.exports = { startShop, summary };
