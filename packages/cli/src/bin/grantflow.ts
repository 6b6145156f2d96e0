#!/usr/bin/env node
/**
 * grantflow — get OAuth tokens, call protected APIs, run the simulated
 * authorization server. `grantflow --help` lists the commands.
 */
import { main } from "../internal/main.js"

main(process.argv)
