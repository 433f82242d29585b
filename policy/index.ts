/**
 * The dropstack policy pack, for real previews and updates:
 *   pulumi preview --policy-pack policy
 * The rules themselves live in rules.ts, where `npm run policy` runs them offline too.
 */
import { PolicyPack } from "@pulumi/policy";
import { PolicyConfig, PolicyResource, rules, stackOfUrn } from "./rules";

/** A resource as the rules see it. */
const asResource = (args: {
  type: string;
  name: string;
  props: Record<string, unknown>;
  urn: string;
  opts: { protect?: boolean };
}): PolicyResource => ({
  type: args.type,
  name: args.name,
  props: args.props,
  protect: args.opts.protect ?? false,
  stack: stackOfUrn(args.urn),
});

new PolicyPack("dropstack", {
  policies: rules.map((rule) => {
    const { check, checkStack } = rule;
    const common = {
      name: rule.name,
      description: rule.description,
      enforcementLevel: rule.enforcementLevel,
      ...(rule.configSchema && { configSchema: rule.configSchema }),
    };
    return checkStack
      ? {
          ...common,
          validateStack: (args, reportViolation) => {
            for (const message of checkStack(args.resources.map(asResource)))
              reportViolation(message);
          },
        }
      : {
          ...common,
          validateResource: (args, reportViolation) => {
            const config = rule.configSchema ? args.getConfig<PolicyConfig>() : {};
            for (const message of check!(asResource(args), config)) reportViolation(message);
          },
        };
  }),
});
