import { defineConfig } from "vitest/config"

const project = (name: string) => ({
  extends: true as const,
  test: { name, root: `packages/${name}`, include: ["test/**/*.test.ts"] }
})

export default defineConfig({
  ssr: { resolve: { conditions: ["source"] } },
  resolve: { conditions: ["source"] },
  test: {
    projects: [project("core"), project("testing"), project("node")],
    testTimeout: 60_000
  }
})
