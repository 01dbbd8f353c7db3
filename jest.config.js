// Two projects: `unit` (mocks only, fast, parallel) and `live` (real Docker engines in the lab, serial).
const transform = { "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }] };
module.exports = {
  projects: [
    { displayName: "unit", testEnvironment: "node", transform, testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    {
      displayName: "live",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/test/live/**/*.test.ts"],
      globalSetup: "<rootDir>/test/live/setup.ts",
      globalTeardown: "<rootDir>/test/live/teardown.ts",
      setupFilesAfterEnv: ["<rootDir>/test/live/jest.setup.ts"],
    },
  ],
};
