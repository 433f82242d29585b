/**
 * The dropstack policy pack, for real previews and updates:
 *   pulumi preview --policy-pack policy
 * The rules themselves live in rules.ts, where `npm run policy` runs them offline too.
 */
import { PolicyPack } from "@pulumi/policy";
import { rules, stackOfUrn } from "./rules";

new PolicyPack("dropstack", {
  policies: rules.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.enforcementLevel,
    validateResource: (args, reportViolation) => {
      const resource = {
        type: args.type,
        name: args.name,
        props: args.props,
        protect: args.opts.protect ?? false,
        stack: stackOfUrn(args.urn),
      };
      for (const message of rule.check(resource)) reportViolation(message);
    },
  })),
});
