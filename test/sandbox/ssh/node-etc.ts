/**
 * The node's own account files: /etc/passwd, /etc/group, /etc/shadow, /etc/sudoers and
 * /etc/sudoers.d as the sshd mount namespace shows them. They are written into the
 * sandbox folder and bind-mounted over the host's only inside that namespace: the host's
 * own /etc never changes.
 */
import { readFileSync } from "node:fs";

export type SudoPolicy = "nopasswd" | "password" | "none";

export interface NodeUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  sudo: SudoPolicy;
}

/** System accounts (uid < 1000, and nobody) stay, so sshd's privilege separation user exists. */
function systemLines(file: string, excludedNames: Set<string>): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .filter((line) => {
      const [name, , id] = line.split(":");
      const numericId = Number(id);
      return (
        name !== undefined && !excludedNames.has(name) && (numericId < 1000 || numericId === 65534)
      );
    });
}

export function nodePasswd(users: NodeUser[]): string {
  const names = new Set(users.map((user) => user.name));
  const lines = systemLines("/etc/passwd", names);
  for (const user of users)
    lines.push(`${user.name}:x:${user.uid}:${user.gid}::${user.home}:${user.shell}`);
  return `${lines.join("\n")}\n`;
}

export function nodeGroup(users: NodeUser[]): string {
  const names = new Set(users.map((user) => user.name));
  const lines = systemLines("/etc/group", names);
  for (const user of users) lines.push(`${user.name}:x:${user.gid}:`);
  return `${lines.join("\n")}\n`;
}

/**
 * No account has a usable password ("*": not locked, so sshd still takes keys). A user
 * whose sudo wants a password therefore gets "a password is required" from `sudo -n`.
 */
export function nodeShadow(passwd: string): string {
  const names = passwd
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split(":")[0]);
  return `${names.map((name) => `${name}:*:20000:0:99999:7:::`).join("\n")}\n`;
}

export function nodeSudoers(users: NodeUser[]): string {
  const rules = users.flatMap((user) => {
    if (user.sudo === "nopasswd") return [`${user.name}\tALL=(ALL:ALL) NOPASSWD: ALL`];
    if (user.sudo === "password") return [`${user.name}\tALL=(ALL:ALL) ALL`];
    return [];
  });
  return [
    "# Written by the test sandbox for this node's mount namespace only.",
    "Defaults\tenv_reset",
    'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
    "Defaults\t!lecture",
    "root\tALL=(ALL:ALL) ALL",
    ...rules,
    "@includedir /etc/sudoers.d",
    "",
  ].join("\n");
}

export function nodeHosts(hostname: string, address: string): string {
  return `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n${address}\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
}
