/**
 * A throwaway certificate authority for tests, made with the `openssl` command at test time: a CA
 * certificate and leaf certificates for loopback names, so servers can speak real TLS and clients
 * can trust them with `fetch(url, { tls: { ca } })`. Keys are P-256 (fast to generate).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LeafCert {
  /** PEM files, as `[global.tls] certs` and `key` take them. */
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  caCertPath: string;
  /** The CA certificate (PEM): what a client trusts. */
  caCert: string;
  /** Issues a server/client certificate for the given DNS names and IP addresses. */
  issue(name: string, altNames?: string[]): LeafCert;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  const run = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr.toString()}`);
}

const p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** `127.0.0.1` -> `IP:127.0.0.1`, `localhost` -> `DNS:localhost`. */
function subjectAltName(names: string[]): string {
  return names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "conduit-ca-"));
  openssl(
    [
      "req", "-x509", ...p256, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=conduit test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  const caCertPath = join(dir, "ca.pem");
  return {
    dir,
    caCertPath,
    caCert: readFileSync(caCertPath, "utf8"),
    issue(name, altNames = ["localhost", "127.0.0.1"]) {
      const leafDir = join(dir, name);
      mkdirSync(leafDir);
      writeFileSync(
        join(leafDir, "ext.cnf"),
        [
          `subjectAltName=${subjectAltName(altNames)}`,
          "basicConstraints=critical,CA:FALSE",
          "keyUsage=critical,digitalSignature",
          "extendedKeyUsage=serverAuth,clientAuth",
        ].join("\n"),
      );
      openssl(["req", "-new", ...p256, "-keyout", "key.pem", "-out", "req.csr", "-subj", `/CN=${name}`], leafDir);
      openssl(
        [
          "x509", "-req", "-in", "req.csr", "-CA", "../ca.pem", "-CAkey", "../ca.key", "-CAcreateserial",
          "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf",
        ],
        leafDir,
      );
      const certPath = join(leafDir, "cert.pem");
      const keyPath = join(leafDir, "key.pem");
      return { certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
