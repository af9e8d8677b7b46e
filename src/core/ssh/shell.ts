/** Quoting for the remote login shell: sshd runs every command through `$SHELL -c`. */
export function shellQuote(argument: string): string {
  if (/^[A-Za-z0-9_./=:,+@%-]+$/.test(argument)) return argument;
  return `'${argument.replace(/'/g, `'\\''`)}'`;
}

export function shellCommand(argv: string[]): string {
  return argv.map(shellQuote).join(" ");
}
