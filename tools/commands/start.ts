/** `npm start`: serve a stack on this machine with real nginx and supervisord, as a droplet runs it. */
import { parsePort, serveSandbox } from "../sandbox/serve";
import { defineCommand } from "./command";
import { STACK_OPTIONS } from "./stackOptions";

export const startCommand = defineCommand({
  name: "start",
  summary:
    "Plan a stack offline and run its droplet's files with real nginx and supervisord on loopback.",
  usage:
    "npm start -- [--stack dev] [--port 8000] [--tls-port <port + 363>] [--config <Pulumi.x.yaml>] [--detach]",
  options: {
    stack: { ...STACK_OPTIONS.stack, default: "dev", help: "the stack to serve (default dev)" },
    config: STACK_OPTIONS.config,
    port: {
      type: "string",
      short: "p",
      default: "8000",
      value: "<port>",
      help: "nginx's port on 127.0.0.1, for port 80 (default 8000)",
    },
    "tls-port": {
      type: "string",
      value: "<port>",
      help: "nginx's HTTPS port on 127.0.0.1, for port 443 (default --port + 363)",
    },
    detach: {
      type: "boolean",
      short: "d",
      default: false,
      help: "return once it serves; npm stop stops it",
    },
  },
  async run({ values, out }) {
    const tlsPort = values["tls-port"];
    await serveSandbox(
      {
        stack: values.stack,
        port: parsePort(values.port),
        tlsPort: tlsPort === undefined ? undefined : parsePort(tlsPort, "--tls-port"),
        configFile: values.config,
        detach: values.detach,
      },
      out,
    );
  },
});
