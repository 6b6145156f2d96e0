/**
 * How the examples end on bad input — an argument they do not take, a port
 * out of range or in use: one line on stderr that says what is wrong and what
 * to do, exit code 2, and no stack trace.
 */
export const exit: (program: string, line: string) => never = (program, line) => {
  process.stderr.write(`${program}: ${line}\n`)
  return process.exit(2)
}

/** Why a port could not be listened on, from the socket error's code. */
export const listenFailure = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  return code === "EADDRINUSE" ? "it is in use" : code === "EACCES" ? "it needs privileges" : `${code ?? "the system refused it"}`
}
