'use strict';
// The two places spans go: the OTLP receiver and the dummy dd-trace agent.
const { startReceiver } = require('./receiver');
const { startDdAgent } = require('./dd-agent');

async function startSinks() {
  const receiver = await startReceiver();
  const agent = await startDdAgent();
  return {
    otlpUrl: receiver.url,
    ddUrl: agent.url,
    receiver,
    agent,
    /** The sink a variant exports to. */
    of: (variant) => (variant.name === 'dd-trace' ? agent : receiver),
    close: () => Promise.all([receiver.close(), agent.close()]),
  };
}

module.exports = { startSinks };
