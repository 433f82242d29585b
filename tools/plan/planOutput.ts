/**
 * What the offline plan shows: a `pulumi preview`-like tree, a JSON document, and the files the
 * program would put on each droplet. Secrets are masked and values a provider computes are shown
 * as "(known after apply)" in all three.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { mkdirSync, writeFileSync } from "node:fs";
import { RESOURCE_TYPES } from "../../components/resourceTypes";
import { costSummary, estimateCost } from "../../cost/estimate";
import { reservedIpCount, reservedIpNote } from "../../cost/reservedIps";
import { INSTALL_FILE_HEADER } from "../../templates";
import { planCostResources } from "./costInput";
import { SECRET_MASK, isSecretWrapper, mapSecrets } from "./mockSecrets";
import type { RecordedResource } from "./recordingMocks";
import type { PlanResult } from "./runPlan";

export const KNOWN_AFTER_APPLY = "(known after apply)";

/** Replaces every value the mock invented (in strings and numbers) with the known-after-apply mark. */
export function hideComputed(value: unknown, computed: ReadonlySet<string>): unknown {
  if (typeof value === "number" && computed.has(String(value))) return KNOWN_AFTER_APPLY;
  if (typeof value === "string") {
    if (computed.has(value)) return KNOWN_AFTER_APPLY;
    let text = value;
    for (const token of computed)
      if (token.length >= 20 && text.includes(token))
        text = text.split(token).join(KNOWN_AFTER_APPLY);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => hideComputed(item, computed));
  if (
    value !== null &&
    typeof value === "object" &&
    !isSecretWrapper(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, hideComputed(v, computed)]),
    );
  }
  return value;
}

/** Inputs as the plan shows them: secrets masked, computed values marked. */
export function displayInputs(
  resource: RecordedResource,
  computed: ReadonlySet<string>,
): Record<string, unknown> {
  const shown = Object.fromEntries(
    Object.entries(resource.inputs).filter(([key]) => !key.startsWith("__")),
  );
  return hideComputed(mapSecrets(shown), computed) as Record<string, unknown>;
}

export interface PlanJson {
  stack: string;
  resources: {
    type: string;
    name: string;
    parent: string | null;
    protect: boolean;
    inputs: Record<string, unknown>;
  }[];
  outputs: Record<string, unknown>;
}

export function planJson(plan: PlanResult): PlanJson {
  const resources = [];
  for (const r of plan.resources) {
    resources.push({
      type: r.type,
      name: r.name,
      parent: r.parent,
      protect: r.protect,
      inputs: displayInputs(r, plan.mocks.computed),
    });
  }
  return {
    stack: plan.stack,
    resources,
    outputs: mapSecrets(plan.outputs) as Record<string, unknown>,
  };
}

function summarise(value: unknown): string {
  if (typeof value === "string") {
    const lines = value.split("\n").filter(Boolean).length;
    if (value.includes("\n") || value.length > 90) {
      const hash = createHash("sha256").update(value).digest("hex").slice(0, 12);
      return `<${lines} lines, ${value.length} bytes, sha256 ${hash}>`;
    }
    return value === SECRET_MASK || value === KNOWN_AFTER_APPLY ? value : JSON.stringify(value);
  }
  return JSON.stringify(value);
}

function inputLines(inputs: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(inputs)) {
    if (Array.isArray(value) && value.some((v) => typeof v === "object" && v !== null)) {
      lines.push(`${key}:`, ...value.map((item) => `  - ${JSON.stringify(item)}`));
    } else {
      lines.push(`${key}: ${summarise(value)}`);
    }
  }
  return lines;
}

/** The tree, children under parents in declaration order, each with its inputs below it. */
export function planTree(plan: PlanResult): string {
  const children = new Map<string | null, RecordedResource[]>();
  for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const out: string[] = [
    `Offline plan of stack ${plan.stack} (Pulumi mock runtime: no credentials, nothing is created)`,
    "",
    ` +  pulumi:pulumi:Stack  dropstack-${plan.stack}`,
  ];
  const walk = (parent: string | null, prefix: string) => {
    const list = children.get(parent) ?? [];
    for (const [i, r] of list.entries()) {
      const last = i === list.length - 1;
      out.push(
        ` +  ${prefix}${last ? "└─ " : "├─ "}${r.type}  ${r.name}${r.protect ? "  [protected]" : ""}`,
      );
      const inner = `${prefix}${last ? "   " : "│  "}`;
      const bar = (children.get(r.name)?.length ?? 0) > 0 ? "│  " : "   ";
      if (r.custom) {
        for (const line of inputLines(displayInputs(r, plan.mocks.computed)))
          out.push(`    ${inner}${bar}    ${line}`);
      }
      walk(r.name, inner);
    }
  };
  walk(null, "");
  const outputs = hideComputed(mapSecrets(plan.outputs), plan.mocks.computed) as Record<
    string,
    unknown
  >;
  out.push("", "Outputs:");
  for (const [key, value] of Object.entries(outputs))
    out.push(`    ${key}: ${JSON.stringify(value)}`);
  const protectedCount = plan.resources.filter((r) => r.protect).length;
  out.push(
    "",
    `Resources:`,
    `    + ${plan.resources.length + 1} resources to create (${protectedCount} protected)`,
    `    ${costSummary(estimateCost(planCostResources(plan.resources)))}`,
  );
  const reservedIps = reservedIpNote(reservedIpCount(plan.resources));
  if (reservedIps) out.push(`    ${reservedIps}`);
  return out.join("\n");
}

/** A file the program puts on a droplet, relative to `--out <dir>`. */
export interface PlannedFile {
  readonly path: string;
  readonly content: string;
}

/**
 * Every file per droplet: `<droplet>/cloud-init.yaml`, and each file an install command sends on
 * stdin, as `<droplet>/<kind>/<file>` from the script's header. Secret files hold the mask.
 */
export function plannedFiles(plan: PlanResult): PlannedFile[] {
  const droplets = plan.resources.filter((r) => r.type === RESOURCE_TYPES.droplet);
  const byAddress = new Map(
    droplets.map((d) => [String(d.outputs.ipv4Address), String(d.inputs.name)]),
  );
  const files: PlannedFile[] = droplets.map((d) => ({
    path: path.posix.join(String(d.inputs.name), "cloud-init.yaml"),
    content: maskedUserData(d.inputs.userData),
  }));
  for (const install of plan.resources.filter((r) => r.type === RESOURCE_TYPES.command)) {
    const header = INSTALL_FILE_HEADER.exec(String(install.inputs.create));
    if (!header) continue;
    const connection = install.inputs.connection as { value?: { host?: string }; host?: string };
    const droplet = byAddress.get(String(connection.value?.host ?? connection.host));
    if (droplet === undefined) throw new Error(`cannot place ${install.name} on a droplet`);
    const stdin = install.inputs.stdin;
    const content = isSecretWrapper(stdin) ? `${SECRET_MASK}\n` : String(stdin);
    files.push({
      path: path.posix.join(droplet, header[1]),
      content: hideComputed(content, plan.mocks.computed) as string,
    });
  }
  return files;
}

/**
 * A droplet's user data as a reviewer reads it: a secret (it holds the droplet's SSH host key)
 * shown with the private key's lines masked, the rest as it is.
 */
function maskedUserData(userData: unknown): string {
  if (!isSecretWrapper(userData)) return String(userData);
  return String(userData.value).replace(
    /^( *)-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]*?\n *-----END OPENSSH PRIVATE KEY-----$/m,
    (_block, indent: string) => `${indent}${SECRET_MASK}`,
  );
}

/** Writes every planned file under `dir` (`plan --out`); returns how many. */
export function writePlannedFiles(plan: PlanResult, dir: string): number {
  const files = plannedFiles(plan);
  for (const file of files) {
    const target = path.join(dir, file.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, file.content);
  }
  return files.length;
}
