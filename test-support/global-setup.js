// Starts one in-process dynalite for the whole jest run, unless DYNAMODB_ENDPOINT
// points at a server already (moto, DynamoDB Local, a real region). Every
// worker reads the endpoint from the environment. Suites make their own tables.
const { startDynalite } = require('./dynalite');

module.exports = async function globalSetup() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Stores start their table check at construction. A test store without credentials must never send the SDK's
  // credential chain to the EC2 instance metadata address (not loopback): tests talk to loopback only.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  if (process.env.DYNAMODB_ENDPOINT) return;
  const server = await startDynalite();
  globalThis.__DYNALITE__ = server;
  process.env.DYNAMODB_ENDPOINT = server.endpoint;
};
