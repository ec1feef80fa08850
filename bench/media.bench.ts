/**
 * The media repository: upload and download throughput of a 10 MB file over HTTP against the real
 * server, the server's resident memory while a 100 MB upload streams in (it must stay near idle:
 * the body goes to disk as it arrives), and thumbnails per second of a 2000x1500 JPEG through the
 * thumbnail worker (ImageMagick in WebAssembly; the other libraries measured are in docs/media.md).
 */
import { ImageMagick, MagickFormat, NoiseType } from "@imagemagick/magick-wasm";
import type { ThumbnailSize } from "../src/core/media/thumbnail-sizes";
import { loadImageMagick } from "../src/workers/thumbnailer/render";
import { createThumbnailer } from "../src/workers/thumbnailer/pool";
import { register, startServer } from "./bench-server";

const MB = 1024 * 1024;
const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const server = await startServer(["max_upload_size = 400_000_000"]);
try {
  const session = await register(server.baseUrl, "bench");
  const auth = { authorization: `Bearer ${session.access_token}` };
  const ten = new Uint8Array(10 * MB).map((_, i) => (i * 2654435761) >>> 24);

  const up: number[] = [];
  let mxc = "";
  for (let i = 0; i < RUNS; i++) {
    ten[0] = i; // new content each run: no deduplication shortcut
    const start = performance.now();
    const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, { method: "POST", headers: { ...auth, "content-type": "application/octet-stream" }, body: ten });
    mxc = ((await res.json()) as { content_uri: string }).content_uri.slice("mxc://".length);
    up.push(10 / ((performance.now() - start) / 1000));
  }
  const down: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const res = await fetch(`${server.baseUrl}/_matrix/client/v1/media/download/${mxc}`, { headers: auth });
    const size = (await res.arrayBuffer()).byteLength;
    if (size !== 10 * MB) throw new Error(`downloaded ${size} bytes`);
    down.push(10 / ((performance.now() - start) / 1000));
  }
  console.log(`upload 10 MB (median of ${RUNS})                     ${median(up).toFixed(0).padStart(8)} MB/s`);
  console.log(`download 10 MB (median of ${RUNS})                   ${median(down).toFixed(0).padStart(8)} MB/s`);

  // 100 MB, then 300 MB, in 64 KB chunks generated as they are sent (the client holds one chunk at
  // a time). The server's peak must not grow with the size of the upload.
  const idle = server.rssMiB();
  for (const size of [100, 300]) {
    let peak = server.rssMiB();
    const sampler = setInterval(() => (peak = Math.max(peak, server.rssMiB())), 10);
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(size);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= size * MB) return c.close();
        sent += chunk.length;
        c.enqueue(chunk.slice());
      },
    });
    const start = performance.now();
    const res = await fetch(`${server.baseUrl}/_matrix/media/v3/upload`, { method: "POST", headers: auth, body, duplex: "half" } as RequestInit);
    if (res.status !== 200) throw new Error(`${size} MB upload: ${res.status} ${await res.text()}`);
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    console.log(`${size} MB upload, streamed: ${(size / seconds).toFixed(0)} MB/s; server RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB`);
  }
} finally {
  await server.stop();
}

// A 2000x1500 photo-like JPEG (noise does not compress away, so decoding does real work).
await loadImageMagick();
const photo = ImageMagick.read("plasma:", (image) => {
  image.resize(2000, 1500);
  image.addNoise(NoiseType.Gaussian);
  image.quality = 85;
  return image.write(MagickFormat.Jpeg, (data) => new Uint8Array(data));
});
const thumbnailer = createThumbnailer();
for (const size of [
  { width: 320, height: 240, method: "scale" },
  { width: 96, height: 96, method: "crop" },
  { width: 800, height: 600, method: "scale" },
] satisfies ThumbnailSize[]) {
  const job = () => ({ input: photo.slice(), format: "jpeg" as const, width: 2000, height: 1500, size, animated: false, maxPixels: 32_000_000 });
  await thumbnailer.render(job()); // start the worker and compile ImageMagick once
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3_000) {
    await thumbnailer.render(job());
    n++;
  }
  const label = `thumbnail of a 2000x1500 JPEG, ${size.method} ${size.width}x${size.height}`;
  console.log(`${label.padEnd(50)}${(n / ((performance.now() - t0) / 1000)).toFixed(1).padStart(8)} /s`);
}
thumbnailer.stop();
