/**
 * The droplets that exist before a run, as the program's `getDroplets` lookup sees them: none for
 * a plan of a new stack, the previous state's for `plan --diff-from`, the applied ones in the local
 * cloud. Pure.
 */
import { RESOURCE_TYPES as T } from "../../components/resourceTypes";
import type { PlanState } from "./planState";

export interface ExistingDroplet {
  readonly name: string;
  readonly tags: string[];
  readonly size: string;
  readonly ipv4Address: string;
}

interface Filter {
  readonly key: string;
  readonly values: string[];
}

/** Those matching every filter, as DigitalOcean's data source does (a list field: any of its values). */
export function lookUpDroplets(
  droplets: readonly ExistingDroplet[],
  filters: readonly Filter[] = [],
): ExistingDroplet[] {
  return droplets.filter((droplet) =>
    filters.every(({ key, values }) => {
      if (key === "name") return values.includes(droplet.name);
      if (key === "tags") return droplet.tags.some((tag) => values.includes(tag));
      throw new Error(`getDroplets: the mocks answer filters on name and tags, not ${key}`);
    }),
  );
}

/** A droplet from its inputs and the address it was given. */
export function existingDroplet(inputs: Record<string, unknown>, address: string): ExistingDroplet {
  return {
    name: String(inputs.name),
    tags: Array.isArray(inputs.tags) ? inputs.tags.map(String) : [],
    size: String(inputs.size),
    ipv4Address: address,
  };
}

/**
 * A state's droplets. A state holds no addresses: each is named instead, as a value, not a token
 * of the droplet's output, since a lookup's answer is known as the program starts and makes no
 * dependency on the droplet.
 */
export function existingDropletsOf(state: PlanState): ExistingDroplet[] {
  return state.resources
    .filter((r) => r.type === T.droplet)
    .map((r) => existingDroplet(r.inputs, `(the address of ${String(r.inputs.name)} now)`));
}
