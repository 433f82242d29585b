/** `npm run bench`: releases, proxy overhead, recovery and plan cost, measured side by side. */
import { runBench } from "../bench/bench";
import { runLocalBench } from "../bench/localBench";
import { runTransitionBench } from "../bench/transitionBench";
import { UserError } from "../shared/errors";
import { defineCommand } from "./command";

export const benchCommand = defineCommand({
  name: "bench",
  summary:
    "Measure releases under load, proxy overhead, recovery and plan cost (bench/results.json); with --local, the local cloud (bench/local-results.json); with --transitions, config edits under load in it (bench/transition-results.json).",
  usage: "npm run bench [-- --local | --transitions]",
  options: {
    local: {
      type: "boolean",
      default: false,
      help: "time the local cloud instead (root): base image cold, up to the first 200 through DNS, phases, wrk",
    },
    transitions: {
      type: "boolean",
      default: false,
      help: "apply each config edit to staging in the local cloud under load (root): duration, steps, failed requests and p99 against a no-edit baseline",
    },
  },
  async run({ values, out }) {
    if (values.local && values.transitions) {
      throw new UserError("--local and --transitions are two benches: run one at a time");
    }
    if (values.transitions) await runTransitionBench(out);
    else await (values.local ? runLocalBench(out) : runBench(out));
  },
});
