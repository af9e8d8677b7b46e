/**
 * The inputs that reach the admin control-plane node over SSH (admin-pki-backup,
 * admin-restore): keys, user, jump host and host-key pins, read and checked in one place so
 * both actions name them, and fail on them, the same way. Every key is masked at once.
 */
import * as core from "@actions/core";
import { looksSecret, quoteValue } from "../../core/redact.ts";
import {
  loadPrivateKey,
  parseFingerprints,
  parseJumpHostSpec,
  parseKnownHosts,
} from "../../core/ssh/index.ts";
import {
  DEFAULT_SSH_USER,
  keySecretForms,
  type JumpHostInput,
} from "../../procedures/admin-pki-backup.ts";
import { checkedInput, getInput, getInputAsList, InputError } from "./inputs.ts";

/** Masks a key in every form a log could show, then checks it parses (the error never quotes it). */
export function readKeyInput(name: string): string | undefined {
  const key = getInput(name);
  if (!key) return undefined;
  for (const form of keySecretForms(key)) core.setSecret(form);
  checkedInput(name, () => loadPrivateKey(key, `the key in ${name}`));
  return key;
}

/** A given node address: a host name or an IP address, never something secret-looking. */
export function checkAddressInput(name: string, host: string): void {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host) || looksSecret(host)) {
    throw new InputError(
      `Input ${name} is ${quoteValue(host)}: expected a host name or IP address, such as 10.0.0.10.`,
    );
  }
}

/** The SSH user on the node, the default one when empty. */
export function readSshUser(name: string): string {
  const user = getInput(name) || DEFAULT_SSH_USER;
  if (/[\s@:]/.test(user)) {
    throw new InputError(
      `Input ${name} is ${quoteValue(user)}: expected a user name such as ubuntu.`,
    );
  }
  return user;
}

/** The jump host (user@host[:port]) with its key; a key without a jump host is a mistake. */
export function readJumpHost(
  names: { jumpHost: string; jumpPrivateKey: string },
  jumpPrivateKey: string | undefined,
): JumpHostInput | undefined {
  const jumpSpec = getInput(names.jumpHost);
  if (jumpSpec) {
    const endpoint = checkedInput(names.jumpHost, () => parseJumpHostSpec(jumpSpec));
    return { ...endpoint, ...(jumpPrivateKey ? { privateKey: jumpPrivateKey } : {}) };
  }
  if (jumpPrivateKey) {
    throw new InputError(
      `Input ${names.jumpPrivateKey} is given without ${names.jumpHost}: expected the jump host as user@host[:port] too.`,
    );
  }
  return undefined;
}

/** The known_hosts input's lines, without blank lines and comments (not checked). */
export function readKnownHostsLines(name: string): string[] {
  return getInput(name)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
}

/** The host keys pinned by known_hosts lines and by fingerprints, each input checked. */
export function readHostKeyPins(names: { knownHosts: string; fingerprints: string }): {
  knownHosts: string[];
  fingerprints: string[];
} {
  const knownHosts = readKnownHostsLines(names.knownHosts);
  checkedInput(names.knownHosts, () => parseKnownHosts(knownHosts));
  const fingerprints = getInputAsList(names.fingerprints);
  checkedInput(names.fingerprints, () => parseFingerprints(fingerprints));
  return { knownHosts, fingerprints };
}
