/**
 * SSH exposure judged by what a list of sources admits in total (config/sshExposure.ts), the one
 * implementation behind the production config check and the policy pack: any split of a range
 * wider than the limit is refused, any list inside the limit passes, and the count is checked
 * against counting address by address.
 */
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import {
  admittedAddresses,
  DEFAULT_SSH_EXPOSURE_LIMIT,
  sshExposureProblems,
} from "../../config/sshExposure";

const v4 = (n: number) =>
  ipaddr.fromByteArray([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();

/** `block` (start, prefix) split into random smaller CIDRs (up to `depth` halvings) covering exactly it. */
const splitOf = (start: number, prefix: number, depth = 4): fc.Arbitrary<string[]> =>
  depth === 0 || prefix >= 32
    ? fc.constant([`${v4(start)}/${prefix}`])
    : fc.boolean().chain((split) => {
        if (!split) return fc.constant([`${v4(start)}/${prefix}`]);
        const half = 2 ** (31 - prefix);
        return fc
          .tuple(
            splitOf(start, prefix + 1, depth - 1),
            splitOf(start + half, prefix + 1, depth - 1),
          )
          .map(([a, b]) => [...a, ...b]);
      });

/** A block wider than production's limit (a /0 to a /15), anywhere, split and shuffled, overlaps added. */
const tooWide = fc
  .tuple(
    fc.integer({ min: 0, max: DEFAULT_SSH_EXPOSURE_LIMIT.ipv4 - 1 }),
    fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  )
  .chain(([prefix, anywhere]) => {
    const size = 2 ** (32 - prefix);
    const start = anywhere - (anywhere % size);
    return fc.tuple(fc.constant(prefix), splitOf(start, prefix), fc.integer({ min: 0, max: 5 }));
  })
  .chain(([prefix, pieces, repeats]) =>
    fc
      .shuffledSubarray([...pieces, ...pieces.slice(0, repeats)], {
        minLength: pieces.length + Math.min(repeats, pieces.length),
      })
      .map((list) => ({ prefix, list })),
  );

test("any split of a range wider than the limit is refused, and counted as that range", () => {
  fc.assert(
    fc.property(tooWide, ({ prefix, list }) => {
      // Only the whole pieces, whatever the order or the repeats: exactly the block's addresses.
      expect(admittedAddresses(list).ipv4).toBe(2n ** BigInt(32 - prefix));
      expect(sshExposureProblems(list.filter((c) => !c.endsWith("/0")))).toHaveLength(
        prefix === 0 && list.every((c) => c.endsWith("/0")) ? 0 : 1,
      );
    }),
    { numRuns: 300 },
  );
});

test("any list of sources inside one block of the limit's size passes", () => {
  const inside = fc
    .tuple(
      fc.integer({ min: 0, max: 2 ** 16 - 1 }),
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 2 ** 16 - 1 }), fc.integer({ min: 16, max: 32 })),
        { minLength: 1, maxLength: 12 },
      ),
    )
    .map(([block, pieces]) =>
      pieces.map(([offset, prefix]) => `${v4(block * 2 ** 16 + offset)}/${prefix}`),
    );
  fc.assert(
    fc.property(
      inside,
      fc.subarray(["2001:db8::/32", "2001:db8:1::/48", "2001:db8::1"]),
      (list, ipv6) => {
        // IPv6 inside one /32 too: the families are judged apart, each within its limit.
        expect(sshExposureProblems([...list, ...ipv6])).toEqual([]);
      },
    ),
    { numRuns: 300 },
  );
});

test("the count is the number of distinct addresses, checked one by one within a /24", () => {
  const cidr = fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 }))
    .map(([host, prefix]) => `198.51.100.${host}/${prefix}`);
  fc.assert(
    fc.property(fc.array(cidr, { minLength: 1, maxLength: 8 }), (list) => {
      const parsed = list.map((c) => ipaddr.parseCIDR(c));
      let distinct = 0;
      for (let host = 0; host < 256; host++) {
        const address = ipaddr.parse(`198.51.100.${host}`);
        if (parsed.some((range) => address.match(range))) distinct++;
      }
      expect(admittedAddresses(list)).toEqual({ ipv4: BigInt(distinct), ipv6: 0n });
    }),
    { numRuns: 300 },
  );
});

test("the families are judged apart: the whole IPv6 internet in halves is refused even with narrow IPv4", () => {
  expect(sshExposureProblems(["203.0.113.0/24", "::/1", "8000::/1"])).toEqual([
    "admits 2^128 IPv6 addresses (a /0's worth) in total, more than production's limit of 2^96 IPv6 addresses (a /32's worth): narrow the list, or raise firewall.sshExposureLimit.ipv6 if that is meant",
  ]);
});
