#!/usr/bin/env node
/**
 * grantflow-sim — the former name of `grantflow sim`, kept for one version.
 */
import { main } from "../internal/main.js"

process.stderr.write("grantflow-sim is now `grantflow sim`; this alias goes away in the next version\n")
main([...process.argv.slice(0, 2), "sim", ...process.argv.slice(2)])
