/**
 * Test-only certificates for proxy.tls.mode custom (tests/fixtures/tls/make.sh made them): a chain
 * for example.com, *.example.com and *.staging.example.com under a test root, its key, a key of
 * nothing, an expired chain.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

const dir = path.join(__dirname, "..", "fixtures", "tls");
const read = (file: string) => readFileSync(path.join(dir, file), "utf8");

/** What a user sets as proxy.tls.certificate: the leaf, then the intermediate. */
export const CHAIN = read("chain.pem");
export const KEY = read("leaf.key");
export const OTHER_KEY = read("other.key");
/** The same names, valid only during 2020. */
export const EXPIRED_CHAIN = read("expired.pem");
/** The root a client must trust. */
export const ROOT_FILE = path.join(dir, "root.pem");

/** proxy.tls for the chain; the stack must hold `dropstack:proxy` as a secret (the key is one). */
export const CUSTOM_TLS = { mode: "custom", certificate: CHAIN, privateKey: KEY };
export const PROXY_IS_SECRET = ["dropstack:proxy"];
