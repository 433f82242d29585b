/** `npm run bench`: releases, proxy overhead, recovery and plan cost, measured side by side. */
import { runBench } from "../bench/bench";
import { defineCommand } from "./command";

export const benchCommand = defineCommand({
  name: "bench",
  summary:
    "Measure releases under load, proxy overhead, recovery and plan cost; write bench/results.json.",
  usage: "npm run bench",
  options: {},
  async run({ out }) {
    await runBench(out);
  },
});
