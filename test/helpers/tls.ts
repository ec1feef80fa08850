/**
 * A throwaway certificate authority made at test time with the `openssl` CLI: tests issue leaf
 * certificates for loopback names (`127.0.0.1`, `localhost`, …) and trust the CA explicitly, so
 * real TLS verification runs without touching the system store.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isIP } from "node:net";

export interface LeafCert {
  certPath: string;
  keyPath: string;
}

export interface TestCa {
  dir: string;
  caPath: string;
  caPem: string;
  /** Issues a leaf certificate valid for the given DNS names and IP addresses. */
  issue(names: string[]): LeafCert;
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  const proc = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${proc.stderr.toString()}`);
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "conduit-ca-"));
  openssl(
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=conduit test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  let serial = 0;
  return {
    dir,
    caPath: join(dir, "ca.pem"),
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    issue(names) {
      const id = `leaf${++serial}`;
      const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
      writeFileSync(
        join(dir, `${id}.ext`),
        `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
      );
      openssl(
        ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${id}.key`,
          "-out", `${id}.csr`, "-subj", `/CN=${names[0]}`],
        dir,
      );
      openssl(
        ["x509", "-req", "-in", `${id}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", String(1000 + serial),
          "-out", `${id}.pem`, "-days", "2", "-extfile", `${id}.ext`],
        dir,
      );
      return { certPath: join(dir, `${id}.pem`), keyPath: join(dir, `${id}.key`) };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
