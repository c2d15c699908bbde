module.exports = async function globalTeardown() {
  const server = globalThis.__DYNALITE__;
  if (server) await server.stop();
};
