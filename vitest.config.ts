import { defineConfig } from "vitest/config"

const project = (name: string, root = `packages/${name}`, globalSetup: Array<string> = []) => ({
  extends: true as const,
  test: { name, root, include: ["test/**/*.test.ts"], globalSetup }
})

export default defineConfig({
  ssr: { resolve: { conditions: ["@grantflow/source"] } },
  resolve: { conditions: ["@grantflow/source"] },
  test: {
    projects: [project("core"), project("resource-server"), project("testing"), project("node"), project("cli", "packages/cli", ["test/support/bundle.ts"]), project("examples", "examples")],
    testTimeout: 60_000
  }
})
