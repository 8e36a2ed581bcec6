// @tracewire/logs: log correlation. A pino or winston record written while a
// span is active carries the span's trace_id, span_id and trace_flags, as
// OpenTelemetry's own log instrumentations write them; with no span active the
// output is what it would be without tracing. No code to write: the preload
// and the frameworks' middleware line turn it on.
import { fastExports } from '@tracewire/core';
export { pinoInstrumentation, winstonInstrumentation } from './definition';
export { enable, disable } from './enable';

// Last: the exports in an object V8 reads fast (see core's fast-exports.ts).
module.exports = fastExports(exports);
