import { Effect } from "effect"
import { chromium } from "playwright-core"

/**
 * Debian's Chromium (CI installs it with scripts/ensure-chromium.sh; no
 * browser is downloaded), headless, open for the scope.
 */
export const launchBrowser = Effect.acquireRelease(
  Effect.promise(() =>
    chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run"
      ]
    })
  ),
  (browser) => Effect.promise(() => browser.close())
)
