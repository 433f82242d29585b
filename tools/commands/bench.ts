/** `npm run bench`: releases, proxy overhead, recovery and plan cost, measured side by side. */
import { runBench } from "../bench/bench";
import { runLocalBench } from "../bench/localBench";
import { defineCommand } from "./command";

export const benchCommand = defineCommand({
  name: "bench",
  summary:
    "Measure releases under load, proxy overhead, recovery and plan cost (bench/results.json); with --local, the local cloud (bench/local-results.json).",
  usage: "npm run bench [-- --local]",
  options: {
    local: {
      type: "boolean",
      default: false,
      help: "time the local cloud instead (root): base image cold, up to the first 200 through DNS, phases, wrk",
    },
  },
  async run({ values, out }) {
    await (values.local ? runLocalBench(out) : runBench(out));
  },
});
