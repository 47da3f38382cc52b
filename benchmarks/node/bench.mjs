// aws-jwt-verify, the reference Cognito verifier, in its own Node process: its correctness pass,
// then its median time per verify as a ratio to Node's raw crypto.verify of the same signatures,
// measured in this same process. Only that ratio is compared with the Python figures.
//
//   node bench.mjs FIXTURE.json [--check-only]
//
// FIXTURE.json is BenchToken.fixture_json() (benchmarks/bench_tokens.py). Prints one JSON object.
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { CognitoJwtVerifier } from "aws-jwt-verify";

const ROUNDS = 15;
const COPIES = 256;

const [fixturePath, ...flags] = process.argv.slice(2);
if (!fixturePath) {
  console.error("usage: node bench.mjs FIXTURE.json [--check-only]");
  process.exit(2);
}
const fixture = JSON.parse(readFileSync(fixturePath, "utf8"));
const version = JSON.parse(
  readFileSync(new URL("./node_modules/aws-jwt-verify/package.json", import.meta.url), "utf8"),
).version;

// The same checks as fastcognito: issuer from the pool id, client_id, token_use "access".
const verifier = CognitoJwtVerifier.create({
  userPoolId: fixture.pool_id,
  tokenUse: "access",
  clientId: fixture.client_id,
});
verifier.cacheJwks(fixture.jwks); // offline: the keys are given, never fetched
const verifyToken = (token) => verifier.verifySync(token);

function accepts(token) {
  try {
    verifyToken(token);
    return true;
  } catch {
    return false;
  }
}

if (!accepts(fixture.token)) {
  console.error("aws-jwt-verify rejects the good token");
  process.exit(1);
}
const misses = fixture.checks.filter((check) => accepts(fixture.bad[check]));
if (misses.includes("signature")) {
  console.error("aws-jwt-verify accepts a forged signature");
  process.exit(1);
}
const report = { version, node: process.version, misses };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Alternating rounds, the raw verify just before each aws-jwt-verify round: medians of both and
// the median of the per-round ratios, which the drifting load of a shared machine moves least.
// CPU time of this process in microseconds, as the Python rows are timed.
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

function pairedRounds(raw, peer, calls) {
  raw();
  peer(); // warm-up, and lets V8 optimise
  const raws = [];
  const peers = [];
  const ratios = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = cpuMicros();
    raw();
    const middle = cpuMicros();
    peer();
    const end = cpuMicros();
    raws.push((middle - start) / 1e6 / calls);
    peers.push((end - middle) / 1e6 / calls);
    ratios.push((end - middle) / (middle - start));
  }
  return { raw: median(raws), peer: median(peers), ratio: median(ratios) };
}

if (!flags.includes("--check-only")) {
  const key = createPublicKey({ key: fixture.jwks.keys[0], format: "jwk" });
  const b64url = (text) => Buffer.from(text, "base64url");
  const pairs = fixture.distinct.map((item) => [Buffer.from(item.signing_input, "ascii"), b64url(item.signature)]);
  const tokens = fixture.distinct.map((item) => item.token);
  const cut = fixture.token.lastIndexOf(".");
  const goodPair = [Buffer.from(fixture.token.slice(0, cut), "ascii"), b64url(fixture.token.slice(cut + 1))];
  const head = fixture.token.slice(0, -1);
  const last = fixture.token.slice(-1);
  let sink = 0; // keeps V8 from discarding results

  const rawCold = () => {
    for (const [data, signature] of pairs) sink += cryptoVerify("RSA-SHA256", data, key, signature) ? 1 : 0;
  };
  const peerCold = () => {
    for (const token of tokens) sink += verifyToken(token).exp > 0 ? 1 : 0;
  };
  const rawHit = () => {
    for (let i = 0; i < COPIES; i += 1) sink += cryptoVerify("RSA-SHA256", goodPair[0], key, goodPair[1]) ? 1 : 0;
  };
  const peerHit = () => {
    // A new string each time, as each request brings; aws-jwt-verify keeps no verified tokens.
    for (let i = 0; i < COPIES; i += 1) sink += verifyToken(`${head}${last}`).exp > 0 ? 1 : 0;
  };
  report.medians = {
    cold: pairedRounds(rawCold, peerCold, tokens.length),
    hit: pairedRounds(rawHit, peerHit, COPIES),
  };
  if (sink === 0) throw new Error("nothing was verified");
}
process.stdout.write(JSON.stringify(report));
