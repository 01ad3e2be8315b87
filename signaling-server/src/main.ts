#!/usr/bin/env node
import { ConfigError, configFromEnv, type SignalingConfig } from "./config.js";
import { jsonLine } from "./logger.js";
import { createSignalingServer } from "./server.js";

let config: SignalingConfig;
try {
  config = configFromEnv(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

/** The process's own lines, in the format of the server's log (LOG_FORMAT). */
const say = (line: string, toError = false): void => {
  const text = config.logFormat === "json" ? jsonLine(line, "info") : line;
  if (toError) console.error(text);
  else console.log(text);
};

const server = createSignalingServer(config);
try {
  const { url } = await server.listen();
  say(`listening url=${url} (Starwire signaling server)`);
} catch (error) {
  say(`error: could not start on ${config.host}:${config.port}: ${(error as Error).message}`, true);
  process.exit(1);
}

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  // A second signal means "now": do not wait for sockets to move or say goodbye.
  if (stopping) process.exit(1);
  stopping = true;
  // SIGTERM (an orchestrator, a rolling deploy): drain, so that hosts and players move to another
  // process (or to the next one here) while their old socket still works. SIGINT (Ctrl+C): at once.
  const graceful = signal === "SIGTERM" && config.drainTimeoutMs > 0;
  say(
    graceful
      ? `stopping signal=${signal} drainMs=${config.drainTimeoutMs} (draining: new sockets refused, connected ones told to reconnect)`
      : `stopping signal=${signal} (closing now)`,
  );
  (graceful ? server.shutdown() : server.close()).then(
    () => {
      say(`stopped signal=${signal}`);
      process.exit(0);
    },
    (error: unknown) => {
      say(`error: ${String(error)}`, true);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
