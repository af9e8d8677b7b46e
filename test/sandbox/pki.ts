/**
 * TLS material for the sandbox, made by the real `openssl` at start-up: a CA per trust
 * domain (API server, each etcd cluster, the admin control plane) and certificates signed
 * by it. ECDSA P-256 keeps start-up fast; etcd 3.4 and Node accept it.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CertificateAuthority {
  certPath: string;
  keyPath: string;
}

export interface CertificateFiles {
  certPath: string;
  keyPath: string;
}

export interface CertificateRequest {
  /** The files are written as <dir>/<baseName>.crt and <dir>/<baseName>.key. */
  dir: string;
  baseName: string;
  commonName: string;
  /** DNS names and IP addresses the certificate is valid for. */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Which extended key usages to include; both by default (etcd peers need both). */
  usage?: Array<"serverAuth" | "clientAuth">;
  organization?: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`, {
      cause: error,
    });
  }
}

/** Creates a self-signed CA as <dir>/<baseName>.crt and .key. */
export async function createCertificateAuthority(
  dir: string,
  baseName: string,
  commonName: string,
): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(dir, `${baseName}.key`);
  const certPath = join(dir, `${baseName}.crt`);
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyPath]);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    keyPath,
    "-out",
    certPath,
    "-days",
    "30",
    "-subj",
    `/CN=${commonName}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  return { certPath, keyPath };
}

/** Creates a key and a certificate signed by the CA. */
export async function issueCertificate(
  ca: CertificateAuthority,
  request: CertificateRequest,
): Promise<CertificateFiles> {
  await mkdir(request.dir, { recursive: true });
  const keyPath = join(request.dir, `${request.baseName}.key`);
  const certPath = join(request.dir, `${request.baseName}.crt`);
  const csrPath = join(request.dir, `${request.baseName}.csr`);
  const extPath = join(request.dir, `${request.baseName}.ext`);
  const sans = [
    ...(request.dnsNames ?? []).map((name) => `DNS:${name}`),
    ...(request.ipAddresses ?? []).map((address) => `IP:${address}`),
  ];
  const usage = request.usage ?? ["serverAuth", "clientAuth"];
  const extensions = [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    `extendedKeyUsage=${usage.join(",")}`,
    ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
  ];
  await writeFile(extPath, extensions.join("\n") + "\n");
  const subject =
    (request.organization ? `/O=${request.organization}` : "") + `/CN=${request.commonName}`;
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyPath]);
  // etcd and Go want PKCS#8 or SEC1; SEC1 ("EC PRIVATE KEY") is what kubeadm writes too.
  await openssl(["req", "-new", "-key", keyPath, "-out", csrPath, "-subj", subject]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csrPath,
    "-CA",
    ca.certPath,
    "-CAkey",
    ca.keyPath,
    "-CAcreateserial",
    "-out",
    certPath,
    "-days",
    "30",
    "-extfile",
    extPath,
  ]);
  return { certPath, keyPath };
}

/** Reads a certificate pair as PEM strings, e.g. to put it into a Secret or a kubeconfig. */
export async function readPem(files: CertificateFiles): Promise<{ cert: string; key: string }> {
  return {
    cert: await readFile(files.certPath, "utf8"),
    key: await readFile(files.keyPath, "utf8"),
  };
}
