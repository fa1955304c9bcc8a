#!/usr/bin/env node
// `npm test`: every stage, one after another, then how long each took. A failing stage does not stop the
// later ones (CI shows every failure of a run at once); the exit code is non-zero if any stage failed.
//
//   npm test                   all stages
//   npm test -- unit faults    only the named stages (lint, unit, faults, e2e)
import { spawn } from "node:child_process";

const stages = [
  { name: "lint", what: "formatting and lint (Biome)", command: ["npx", "biome", "ci", "--reporter=summary", "."] },
  { name: "unit", what: "unit and integration (vitest: PGlite, PostgreSQL)", command: ["npx", "vitest", "run"] },
  {
    name: "faults",
    what: "faults (real server processes)",
    command: ["npx", "vitest", "run", "--config", "vitest.faults.config.ts"],
  },
  {
    name: "e2e",
    what: "browser (Playwright, Chromium)",
    command: ["npx", "vitest", "run", "--config", "vitest.e2e.config.ts"],
  },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !stages.some((stage) => stage.name === name));
if (unknown.length) {
  console.error(`unknown stage ${unknown.join(", ")}; stages: ${stages.map((stage) => stage.name).join(", ")}`);
  process.exit(2);
}

function run(command) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const results = [];
const started = performance.now();
for (const stage of stages.filter((s) => !wanted.length || wanted.includes(s.name))) {
  console.log(`\n== ${stage.what}: ${stage.command.join(" ")}`);
  const begun = performance.now();
  const code = await run(stage.command);
  results.push({ ...stage, code, seconds: (performance.now() - begun) / 1000 });
}
const total = (performance.now() - started) / 1000;

console.log("\n== stage times");
for (const result of results) {
  console.log(
    `${result.code === 0 ? "ok  " : "FAIL"}  ${result.name.padEnd(7)} ${result.seconds.toFixed(1).padStart(7)} s  ${result.what}`,
  );
}
console.log(`      ${"total".padEnd(7)} ${total.toFixed(1).padStart(7)} s`);
process.exit(results.some((result) => result.code !== 0) ? 1 : 0);
