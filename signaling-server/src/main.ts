#!/usr/bin/env node
import { ConfigError, configFromEnv, type SignalingConfig } from "./config.js";
import { createSignalingServer } from "./server.js";

let config: SignalingConfig;
try {
  config = configFromEnv(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const server = createSignalingServer(config);
try {
  const { url } = await server.listen();
  console.log(`Starwire signaling server listening on ${url}`);
} catch (error) {
  console.error(`Could not start on ${config.host}:${config.port}: ${(error as Error).message}`);
  process.exit(1);
}

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  // A second Ctrl+C means "now": do not wait for sockets to say goodbye.
  if (stopping) process.exit(1);
  stopping = true;
  console.log(`${signal} received, closing`);
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
