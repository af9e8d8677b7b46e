export {
  startSshHost,
  cleanupStaleSshHost,
  type SshHost,
  type SshHostOptions,
  type SshHostUser,
} from "./host.ts";
export { createSshTestNetwork, removeSshTestNetwork, type SshTestNetwork } from "./network.ts";
export type { SudoPolicy } from "./node-etc.ts";
export {
  startSandboxSsh,
  sshInstructions,
  NODE_SSH_USER,
  JUMP_SSH_USER,
  type SandboxSsh,
  type SandboxSshEndpoint,
  type SandboxSshLayout,
} from "./sandbox-ssh.ts";
