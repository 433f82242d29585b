/**
 * `app.migrate` and `app.processes` under the recording mocks: a supervisor program per process
 * on each droplet (a singleton on the first only), each removed by its delete step; the migration
 * in the first droplet's release script only; droplets' user data untouched.
 */
import { plannedFiles } from "../../tools/plan/planOutput";
import { containerFlags } from "../../templates";
import { dropletLimits } from "../helpers/configCases";
import { T, committedStack, one, only, planStack, withConfig } from "../helpers/planHelpers";

type Plan = Awaited<ReturnType<typeof planStack>>;
const EDITS = {
  "droplet.count": 2,
  "app.migrate": "node migrate.js --label 'a b $HOME'",
  "app.migrateTimeoutSeconds": 120,
  "app.processes": {
    worker: { command: "node worker.js" },
    cron: { command: "node cron.js --every 60", singleton: true },
  },
};
/** Both colours and both processes share what an s-1vcpu-2gb (staging's) leaves: 384 MiB each. */
const FLAGS = containerFlags(dropletLimits("s-1vcpu-2gb", EDITS["app.processes"]));
const file = (plan: Plan, path: string) => {
  const found = plannedFiles(plan).find((f) => f.path === path);
  if (!found) throw new Error(`no planned file ${path}`);
  return found.content;
};
const scriptLine = (plan: Plan, droplet: string, variable: string) =>
  file(plan, `${droplet}/bin/api-release`)
    .split("\n")
    .find((line) => line.startsWith(`${variable}=`));

let plan: Plan;
let without: Plan;
beforeAll(async () => {
  plan = await planStack("staging", withConfig(committedStack("staging"), EDITS));
  without = await planStack(
    "staging",
    withConfig(committedStack("staging"), { "droplet.count": 2 }),
  );
});

test("every droplet runs each process; a singleton runs on the first droplet only", () => {
  const programs = only(plan, T.supervisorProgram).map((p) => p.name);
  expect(programs.filter((name) => name.includes("-process-")).sort()).toEqual([
    "staging-web-1-api-process-cron",
    "staging-web-1-api-process-worker",
    "staging-web-2-api-process-worker",
  ]);
  expect(scriptLine(plan, "staging-web-1", "processes")).toBe("processes='worker cron'");
  expect(scriptLine(plan, "staging-web-2", "processes")).toBe("processes='worker'");
});

test("a process's program: its own files, no port, started by the release, TERM then 30 s", () => {
  const conf = file(plan, "staging-web-1/supervisor/api-worker.conf");
  expect(conf).toContain("[program:api-worker]");
  expect(conf).toContain(
    `command=/bin/sh -c 'docker rm -f api-worker >/dev/null 2>&1; flags=$(cat /etc/dropstack/api-worker.flags) || exit 1; eval "exec docker run --rm --name api-worker $flags --env-file /etc/dropstack/api-worker.env --env-file /etc/dropstack/api-worker.secret.env \\"\\$(cat /etc/dropstack/api-worker.image)\\" $(cat /etc/dropstack/api-worker.command)"'`,
  );
  expect(conf).not.toMatch(/ -p /);
  expect(conf).toMatch(/^autostart=false$/m);
  expect(conf).toMatch(/^stopsignal=TERM$/m);
  expect(conf).toMatch(/^stopwaitsecs=30$/m);
  const script = file(plan, "staging-web-1/bin/api-release");
  // The bounds it runs under, which the release writes to its flags file.
  expect(scriptLine(plan, "staging-web-1", "container_flags")).toBe(`container_flags='${FLAGS}'`);
  expect(script).toContain(
    `    cron) printf '%s\\n' ''\\''node'\\'' '\\''cron.js'\\'' '\\''--every'\\'' '\\''60'\\''' ;;`,
  );
});

test("a process's step removes it when it leaves the program, unless a newer file replaced it", () => {
  const install = one(plan, T.command, "staging-web-1-api-process-worker-conf-install");
  const remove = String(install.inputs.delete);
  expect(remove).toContain(`sudo sha256sum /etc/supervisor/conf.d/api-worker.conf`);
  expect(remove).toContain(`!= "${String((install.inputs.triggers as string[])[0])}"`);
  expect(remove).toContain("sudo supervisorctl stop api-worker");
  expect(remove).toContain("sudo rm -f /etc/supervisor/conf.d/api-worker.conf");
  expect(remove).toContain("/etc/dropstack/api-worker.command");
  // The colours have no delete step: they go only with their droplet.
  expect(one(plan, T.command, "staging-web-1-api-blue-conf-install").inputs.delete).toBeUndefined();
});

test("the first droplet's release migrates, with its timeout; the others do not", () => {
  expect(scriptLine(plan, "staging-web-1", "migrate")).toBe(
    `migrate=''\\''node'\\'' '\\''migrate.js'\\'' '\\''--label'\\'' '\\''a b $HOME'\\'''`,
  );
  expect(scriptLine(plan, "staging-web-1", "migrate_timeout")).toBe("migrate_timeout=120");
  expect(scriptLine(plan, "staging-web-2", "migrate")).toBe("migrate=''");
  expect(scriptLine(plan, "staging-web-2", "migrate_timeout")).toBe("migrate_timeout=0");
});

test("a changed command re-runs the release; droplets' user data does not change", () => {
  const run = (p: Plan) => one(p, T.command, "staging-web-1-api-release-run").inputs.triggers;
  expect(run(plan)).not.toEqual(run(without));
  for (const droplet of ["staging-web-1", "staging-web-2"])
    expect(file(plan, `${droplet}/cloud-init.yaml`)).toBe(
      file(without, `${droplet}/cloud-init.yaml`),
    );
});

test("without them, the release script has no migration and no processes", () => {
  expect(scriptLine(without, "staging-web-1", "migrate")).toBe("migrate=''");
  expect(scriptLine(without, "staging-web-1", "processes")).toBe("processes=''");
  expect(only(without, T.supervisorProgram).some((p) => p.name.includes("-process-"))).toBe(false);
});
